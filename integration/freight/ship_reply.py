"""The actual charge from the FedEx Ship API reply, where labels are made through FedEx's APIs.

``POST /ship/v1/shipments`` (FedEx Ship API, OpenAPI ``Shipment-Resource.json``) answers
``output.transactionShipments[]``, each with ``completedShipmentDetail.shipmentRating``:
``actualRateType`` names which entry of ``shipmentRateDetails[]`` (by ``rateType``) is what the payor is
charged, and that entry's ``totalNetCharge`` (``totalNetChargeWithDutiesAndTaxes`` when present) is the net
charge; ``rateZone``, ``dimDivisor``, ``totalBillingWeight``, ``surcharges[]`` and ``totalBaseCharge`` are
kept for the audit. The shipment is identified by ``masterTrackingNumber``; every package's tracking
number is in ``pieceResponses[].trackingNumber``. Public clients read it the same way (e.g. Odoo's FedEx
REST connector picks the detail whose ``rateType`` equals ``actualRateType``).

The app does not make labels (F&O or the warehouse does), so the reply reaches it from whatever made the
label: ``POST /api/ops/freight/shipments`` with the reply as the body. One shipment's charge is stored
under its master tracking number (the other packages' numbers point to it), so it is never counted twice.
An invoice row for the same tracking number (what FedEx finally billed) wins over the Ship API's rating.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from integration.freight.invoice_csv import FedexCharge, InvoiceFileError

MAX_BYTES = 5 * 1024 * 1024
MAX_PACKAGES = 300  # kept in one Table property with the charge (64 KB)
MAX_SURCHARGES = 50
MAX_AMOUNT = Decimal("1e9")
SOURCE = "ship_api"


class ShipReplyError(InvoiceFileError):
    """Not a Ship API reply we can read (permanent: a 400)."""


def _money(value: Any, where: str) -> Decimal:
    if isinstance(value, dict):  # SOAP-era shape {"amount", "currency"}, accepted as well
        value = value.get("amount")
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ShipReplyError(f"{where}: {str(value)[:30]!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ShipReplyError(f"{where}: {str(value)[:30]!r} is not an amount")
    return amount


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ShipReplyError(f"{where} is not an object")
    return value


def _actual_detail(rating: dict[str, Any], where: str) -> dict[str, Any]:
    raw = rating.get("shipmentRateDetails") or []
    details = [d for d in raw if isinstance(d, dict)] if isinstance(raw, list) else []
    if not details:
        raise ShipReplyError(f"{where}: no shipmentRating.shipmentRateDetails (ask FedEx for rates in the request)")
    actual = str(rating.get("actualRateType") or "")
    chosen = [d for d in details if d.get("rateType") == actual] or [details[0]]
    return chosen[0]


def parse(data: bytes) -> list[FedexCharge]:
    if len(data) > MAX_BYTES:
        raise ShipReplyError(f"reply is larger than {MAX_BYTES} bytes")
    try:
        reply = json.loads(data)
    except ValueError:
        raise ShipReplyError("not JSON: send the FedEx Ship API reply as it came") from None
    shipments = ((reply or {}).get("output") or {}).get("transactionShipments") if isinstance(reply, dict) else None
    if not isinstance(shipments, list) or not shipments:
        raise ShipReplyError("not a Ship API reply: output.transactionShipments is missing")
    charges = []
    for index, shipment in enumerate(shipments):
        where = f"transactionShipments[{index}]"
        if not isinstance(shipment, dict):
            raise ShipReplyError(f"{where} is not an object")
        raw_pieces = shipment.get("pieceResponses") or []
        pieces = [p for p in raw_pieces if isinstance(p, dict)] if isinstance(raw_pieces, list) else []
        master = str(shipment.get("masterTrackingNumber") or next((p.get("trackingNumber") for p in pieces), "") or "")
        master = master.strip()[:64]
        if not master:
            raise ShipReplyError(f"{where}: no masterTrackingNumber")
        completed = _object(shipment.get("completedShipmentDetail"), f"{where}.completedShipmentDetail")
        detail = _actual_detail(_object(completed.get("shipmentRating"), f"{where}: shipmentRating"), where)
        net = detail.get("totalNetChargeWithDutiesAndTaxes") or detail.get("totalNetCharge")
        weight = _object(detail.get("totalBillingWeight"), f"{where}: totalBillingWeight")
        raw_surcharges = detail.get("surcharges") or detail.get("surCharges") or []
        if not isinstance(raw_surcharges, list) or len(raw_surcharges) > MAX_SURCHARGES:
            raise ShipReplyError(f"{where}: surcharges is not a list of at most {MAX_SURCHARGES}")
        if len(pieces) > MAX_PACKAGES:
            raise ShipReplyError(f"{where}: more than {MAX_PACKAGES} packages")
        charges.append(
            FedexCharge(
                tracking=master,
                net_charge=_money(net, f"{where}: totalNetCharge"),
                invoice_number="",
                ship_date=str(shipment.get("shipDatestamp") or "")[:10],
                service=str(shipment.get("serviceType") or ""),
                transportation=_money(detail["totalBaseCharge"], f"{where}: totalBaseCharge")
                if detail.get("totalBaseCharge") is not None
                else None,
                rated_weight=f"{weight.get('value', '')} {weight.get('units', '')}".strip(),
                dim_divisor=str(detail.get("dimDivisor") or ""),
                zone=str(detail.get("rateZone") or ""),
                surcharges=[
                    {
                        "description": str(s.get("description") or s.get("surchargeType") or s.get("type") or "")[:200],
                        "amount": str(_money(s.get("amount"), f"{where}: surcharge")),
                    }
                    for s in raw_surcharges
                    if isinstance(s, dict)
                ],
                source=SOURCE,
                packages=sorted({str(p["trackingNumber"])[:64] for p in pieces if p.get("trackingNumber")} | {master}),
            )
        )
    return charges
