"""The Rate API success reply, shaped like FedEx's recorded replies rather than only its schema
(reference §2.3, §2.5): ``output.encoded`` (not ``isEncoded``), ``currency`` on every
``ratedShipmentDetails`` entry, ``commit.dateDetail.dayFormat`` (or ``dayCxsFormat``), transit
data only when ``returnTransitTimes`` is true, ``dimDivisor`` 0 and ``pricingCode`` PACKAGE when no
dimensions were sent, the DIM.APPLIED.NOTE customer message when DIM weight was used.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.fedex.pricing import SURCHARGE_TEXT, PackageCharge, charge_package
from sandbox.emulators.fedex.services import DAY_NAMES, Service, add_business_days, transit_days, transit_word
from sandbox.emulators.fedex.shipment import Shipment

RATE_TYPES = ("ACCOUNT", "LIST")  # INCENTIVE / PREFERRED are accepted and ignored
PACKAGE_RATE_TYPE = {"ACCOUNT": "PAYOR_ACCOUNT_PACKAGE", "LIST": "PAYOR_LIST_PACKAGE"}
DIM_NOTE = {
    "code": "DIM.APPLIED.NOTE",
    "message": "Dimensional Weight of your package(s) was used to calculate your rate.",
}


def _num(value: Decimal) -> float | int:
    # The wire carries JSON numbers; repr(float) of a 2-dp Decimal prints the same digits.
    exponent = value.as_tuple().exponent
    return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)


def _surcharges(items: list[tuple[str, Decimal]]) -> list[dict[str, Any]]:
    return [{"type": t, "description": SURCHARGE_TEXT[t], "level": "PACKAGE", "amount": _num(a)} for t, a in items]


def _merge(charges: list[PackageCharge]) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = {}
    for charge in charges:
        for kind, amount in charge.surcharges:
            totals[kind] = totals.get(kind, Decimal("0")) + amount
    return list(totals.items())


def rated_shipment_detail(
    service: Service, zone: int, shipment: Shipment, config: FedexEmulatorConfig, rate_type: str
) -> dict[str, Any]:
    charges: list[PackageCharge] = []
    for package in shipment.packages:
        one = charge_package(package, service, zone, shipment, config, rate_type)
        charges.extend([one] * package.count)
    zero = Decimal("0")
    base = sum((c.base for c in charges), zero)
    discount = sum((c.discount for c in charges), zero)
    surcharges = sum((c.total_surcharges for c in charges), zero)
    net_fedex = sum((c.net_fedex for c in charges), zero)
    tax = sum((c.tax for c in charges), zero)
    has_dims = any(p.dims_in is not None for p in shipment.packages)
    method = "DIM" if any(c.method == "DIM" for c in charges) else "ACTUAL"
    detail: dict[str, Any] = {
        "rateZone": str(zone),
        "dimDivisor": 139 if has_dims else 0,
        "fuelSurchargePercent": _num(config.fuel_surcharge_percent),
        "totalSurcharges": _num(surcharges),
        "totalFreightDiscount": _num(discount),
        "surCharges": _surcharges(_merge(charges)),
        "pricingCode": "" if has_dims else "PACKAGE",
        "totalBillingWeight": {"units": "LB", "value": sum(c.billing_lb for c in charges)},
        "dimDivisorType": "COUNTRY",
        "currency": config.currency,
    }
    if has_dims:
        detail["totalDimWeight"] = {"units": "LB", "value": sum(c.dim_lb or 0 for c in charges)}
    if tax:
        tax_type = "HST" if shipment.dest_country == "CA" else "VAT"
        detail["taxes"] = [
            {"type": tax_type, "description": f"{shipment.dest_country} {tax_type}", "amount": _num(tax)}
        ]
    packages = []
    for number, charge in enumerate(charges, start=1):
        package_detail: dict[str, Any] = {
            "rateType": PACKAGE_RATE_TYPE[rate_type],
            "ratedWeightMethod": charge.method,
            "baseCharge": _num(charge.base),
            "netFreight": _num(charge.net_freight),
            "totalSurcharges": _num(charge.total_surcharges),
            "netFedExCharge": _num(charge.net_fedex),
            "totalTaxes": _num(charge.tax),
            "netCharge": _num(charge.net_charge),
            "totalRebates": 0,
            "billingWeight": {"units": "LB", "value": charge.billing_lb},
            "totalFreightDiscounts": _num(charge.discount),
            "surcharges": _surcharges(charge.surcharges),
            "currency": config.currency,
        }
        if charge.dim_lb is not None:
            package_detail["dimWeight"] = {"units": "LB", "value": charge.dim_lb}
        packages.append(
            {
                "groupNumber": 0,
                "effectiveNetDiscount": _num(charge.discount),
                "packageRateDetail": package_detail,
                "sequenceNumber": number,
            }
        )
    return {
        "rateType": rate_type,
        "ratedWeightMethod": method,
        "totalDiscounts": _num(discount),
        "totalBaseCharge": _num(base),
        "totalNetCharge": _num(net_fedex + tax),
        "totalVatCharge": 0,
        "totalNetFedExCharge": _num(net_fedex),
        "totalDutiesAndTaxes": 0,
        "totalNetChargeWithDutiesAndTaxes": _num(net_fedex + tax),
        "totalDutiesTaxesAndFees": 0,
        "totalAncillaryFeesAndTaxes": 0,
        "shipmentRateDetail": detail,
        "ratedPackages": packages,
        "currency": config.currency,
    }


def _service_name(service: Service, config: FedexEmulatorConfig) -> str:
    # FedEx's own OpenAPI example carries "FedEx Ground\u00c2\u00ae" (UTF-8 read as Latin-1).
    return service.name.replace("®", "Â®") if config.mojibake_names else service.name


def reply_detail(service: Service, zone: int, shipment: Shipment, config: FedexEmulatorConfig) -> dict[str, Any]:
    days = transit_days(service, zone)
    delivery = add_business_days(shipment.ship_date, days)
    stamp = f"{delivery.isoformat()}T{service.commit_time}"
    day = DAY_NAMES[delivery.weekday()]
    no_date = service.service_type in config.no_date_services
    rate_types = [t for t in RATE_TYPES if t in shipment.rate_types] or ["ACCOUNT"]
    details = [rated_shipment_detail(service, zone, shipment, config, t) for t in rate_types]
    reply: dict[str, Any] = {
        "serviceType": service.service_type,
        "serviceName": _service_name(service, config),
        "packagingType": "YOUR_PACKAGING" if service.ground else shipment.packaging_type,
    }
    if shipment.return_transit:
        commit: dict[str, Any]
        if no_date:
            commit = {
                "label": "Delivery date unavailable",
                "commitMessageDetails": "Delivery date and time estimates are not available for this shipment.",
                "saturdayDelivery": False,
            }
        else:
            date_detail: dict[str, Any] = {"dayOfWeek": day.title()}
            if config.commit_date_field in ("dayFormat", "both"):
                date_detail["dayFormat"] = stamp
            if config.commit_date_field in ("dayCxsFormat", "both"):
                date_detail["dayCxsFormat"] = stamp
            commit = {"dateDetail": date_detail, "saturdayDelivery": False}
            if service.ground:
                commit["transitDays"] = {
                    "minimumTransitTime": transit_word(days),
                    "description": f"{days} Business Day{'s' if days != 1 else ''}",
                }
        reply["commit"] = commit
    messages = [DIM_NOTE] if any(d["ratedWeightMethod"] == "DIM" for d in details) else []
    reply["customerMessages"] = messages
    reply["ratedShipmentDetails"] = details
    operational: dict[str, Any] = {
        "ineligibleForMoneyBackGuarantee": service.ground,
        "astraDescription": service.astra,
        "serviceCode": service.code,
    }
    if shipment.return_transit and not no_date:
        operational.update(
            {
                "originPostalCodes": [shipment.origin_postal],
                "countryCodes": [shipment.origin_country],
                "deliveryDate": stamp,
                "deliveryDay": day,
                "commitDate": stamp,
                "commitDays": [day],
                "transitTime": transit_word(days),
                "destinationPostalCode": shipment.dest_postal,
            }
        )
    reply["operationalDetail"] = operational
    reply["signatureOptionType"] = "SERVICE_DEFAULT"
    reply["serviceDescription"] = {
        "serviceId": service.service_id,
        "serviceType": service.service_type,
        "code": service.code,
        "names": [
            {"type": "long", "encoding": "utf-8", "value": service.name},
            {"type": "long", "encoding": "ascii", "value": service.name.replace("®", "")},
            {"type": "short", "encoding": "ascii", "value": service.short},
        ],
        "description": service.name.replace("®", ""),
        "astraDescription": service.astra,
    }
    return reply


def rate_reply(
    replies: list[dict[str, Any]], quote_date: date, config: FedexEmulatorConfig, customer_transaction_id: str | None
) -> dict[str, Any]:
    alerts: list[dict[str, Any]] = []
    if config.virtual_response:
        alerts.append({"code": "VIRTUAL.RESPONSE", "message": "This is a Virtual Response.", "alertType": "NOTE"})
    body: dict[str, Any] = {"transactionId": str(uuid.uuid4())}
    if customer_transaction_id:
        body["customerTransactionId"] = customer_transaction_id
    body["output"] = {
        "alerts": alerts,
        "rateReplyDetails": replies,
        "quoteDate": quote_date.isoformat(),
        "encoded": False,
    }
    return body
