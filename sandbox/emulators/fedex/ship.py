"""The Ship API's create-shipment call, as far as the freight audit needs it: ``POST /ship/v1/shipments``.

Request (FedEx Ship API OpenAPI ``Shipment-Resource.json``, ``Full_Schema_Ship``; from ShipStream's copy
of FedEx's published files, path ``resources/models/.raw/ship/v1/Shipment-Resource.json``): required
``labelResponseOptions`` (``URL_ONLY`` | ``LABEL``), ``accountNumber.value`` and ``requestedShipment``
with ``shipper``, ``recipients[]`` (an array, unlike the Rate API's ``recipient``), ``pickupType``,
``serviceType``, ``packagingType``, ``shippingChargesPayment.paymentType``, ``labelSpecification`` and
``requestedPackageLineItems[]``. Missing ones answer 400 ``INVALID.INPUT.EXCEPTION`` naming the field; the
rest (account, postal codes, weights, served lanes, customs) goes through the same checks and pricing as
the Rate API, so a label costs what the rate said on the same day.

Reply (``SHPCResponseVO_ShipShipment``): ``output.transactionShipments[]`` with ``masterTrackingNumber``,
``serviceType``, ``shipDatestamp``, ``pieceResponses[]`` (``trackingNumber``, ``netChargeAmount``,
``baseRateAmount``, ``currency``) and ``completedShipmentDetail`` with ``masterTrackingId``,
``completedPackageDetails[].trackingIds[]`` and ``shipmentRating`` {``actualRateType``,
``shipmentRateDetails[]`` (``rateType``, ``rateZone``, ``dimDivisor``, ``totalBaseCharge``,
``totalNetCharge``, ``totalNetFedExCharge``, ``totalNetChargeWithDutiesAndTaxes``, ``surcharges[]``,
``totalBillingWeight``, ``currency``)}. Labels are not drawn: ``packageDocuments`` carry a placeholder
``url``. Tracking numbers are 12 digits, issued in sequence per emulator.
"""

from __future__ import annotations

import itertools
from typing import Any

from sandbox.emulators.fedex.errors import FedexError

REQUIRED = ("shipper", "recipients", "pickupType", "serviceType", "packagingType", "shippingChargesPayment",
            "labelSpecification", "requestedPackageLineItems")  # fmt: skip
RATE_TYPE = "PAYOR_ACCOUNT_SHIPMENT"
_numbers = itertools.count(794_600_000_001)


def _invalid(path: str, reason: str) -> FedexError:
    return FedexError(400, "INVALID.INPUT.EXCEPTION", params={"path": path, "reason": reason})


def rate_body(body: Any) -> dict[str, Any]:
    """The Rate API request the same shipment would be (checked for the Ship API's own required fields)."""
    if not isinstance(body, dict):
        raise _invalid("(root)", "JSON object expected")
    if body.get("labelResponseOptions") not in ("URL_ONLY", "LABEL"):
        raise _invalid("labelResponseOptions", "required: URL_ONLY or LABEL")
    rs = body.get("requestedShipment")
    if not isinstance(rs, dict):
        raise _invalid("requestedShipment", "required")
    for name in REQUIRED:
        if rs.get(name) in (None, "", []):
            raise _invalid(f"requestedShipment.{name}", "required")
    if not isinstance(rs["recipients"], list):
        raise _invalid("requestedShipment.recipients", "must be an array")
    wanted = ("shipper", "pickupType", "serviceType", "packagingType", "requestedPackageLineItems",
              "customsClearanceDetail", "shipDateStamp")  # fmt: skip
    rate = {k: rs[k] for k in wanted if k in rs}
    rate["recipient"] = rs["recipients"][0]
    if rs.get("shipDatestamp"):
        rate["shipDateStamp"] = rs["shipDatestamp"]
    rate["rateRequestType"] = ["ACCOUNT"]
    return {"accountNumber": body.get("accountNumber"), "requestedShipment": rate}


def ship_reply(rate_reply: dict[str, Any], ship_date: str, transaction_id: str) -> dict[str, Any]:
    [detail] = rate_reply["output"]["rateReplyDetails"][:1]
    rated = detail["ratedShipmentDetails"][0]
    rate = rated["shipmentRateDetail"]
    packages = rated.get("ratedPackages") or []
    numbers = [str(next(_numbers)) for _ in packages or [None]]
    master = numbers[0]
    shipment_detail = {
        "rateType": RATE_TYPE,
        "rateZone": rate.get("rateZone"),
        "ratedWeightMethod": rated.get("ratedWeightMethod"),
        "dimDivisor": rate.get("dimDivisor"),
        "fuelSurchargePercent": rate.get("fuelSurchargePercent"),
        "totalBillingWeight": rate.get("totalBillingWeight"),
        "totalBaseCharge": rated.get("totalBaseCharge"),
        "totalFreightDiscounts": rated.get("totalDiscounts"),
        "totalSurcharges": rate.get("totalSurcharges"),
        "surcharges": [
            {
                "surchargeType": s.get("type"),
                "level": s.get("level"),
                "description": s.get("description"),
                "amount": s.get("amount"),
            }
            for s in rate.get("surCharges") or []
        ],
        "taxes": rate.get("taxes") or [],
        "totalNetFedExCharge": rated.get("totalNetFedExCharge"),
        "totalNetCharge": rated.get("totalNetCharge"),
        "totalNetChargeWithDutiesAndTaxes": rated.get("totalNetChargeWithDutiesAndTaxes"),
        "currency": rated.get("currency"),
    }
    pieces = []
    for index, number in enumerate(numbers):
        package = (packages[index] if index < len(packages) else {}).get("packageRateDetail") or {}
        pieces.append(
            {
                "masterTrackingNumber": master,
                "trackingNumber": number,
                "netChargeAmount": package.get("netCharge", 0),
                "baseRateAmount": package.get("baseCharge", 0),
                "currency": rated.get("currency"),
                "packageDocuments": [{"contentType": "LABEL", "copiesToPrint": 1, "url": f"about:blank#{number}"}],
            }
        )
    return {
        "transactionId": transaction_id,
        "output": {
            "transactionShipments": [
                {
                    "masterTrackingNumber": master,
                    "serviceType": detail["serviceType"],
                    "serviceName": detail.get("serviceName"),
                    "shipDatestamp": ship_date,
                    "pieceResponses": pieces,
                    "completedShipmentDetail": {
                        "masterTrackingId": {"trackingIdType": "FEDEX", "trackingNumber": master},
                        "completedPackageDetails": [
                            {"sequenceNumber": i + 1, "trackingIds": [{"trackingIdType": "FEDEX", "trackingNumber": n}]}
                            for i, n in enumerate(numbers)
                        ],
                        "shipmentRating": {"actualRateType": RATE_TYPE, "shipmentRateDetails": [shipment_detail]},
                    },
                }
            ]
        },
    }
