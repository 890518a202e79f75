"""A schema-valid Rate request turned into the few facts the emulator rates, with FedEx's
business checks (reference §2.2, §2.7, §6.2): account number, postal codes, served locations,
weights (two decimals, > 0, ≤ 150 lb a package), at most 99 line items, ship date window.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.fedex.errors import FedexError

KG_TO_LB = Decimal("2.20462")
CM_TO_IN = Decimal("0.393701")
MAX_PACKAGE_LB = Decimal("150")
MAX_LINE_ITEMS = 99
POSTAL_FORMATS = {
    "US": re.compile(r"^\d{5}(-?\d{4})?$"),
    "PR": re.compile(r"^\d{5}(-?\d{4})?$"),
    "CA": re.compile(r"^[A-Z]\d[A-Z] ?\d[A-Z]\d$"),
}


@dataclass(frozen=True)
class Package:
    weight_lb: Decimal
    dims_in: tuple[Decimal, Decimal, Decimal] | None
    count: int


@dataclass(frozen=True)
class Shipment:
    origin_country: str
    origin_postal: str
    dest_country: str
    dest_postal: str
    residential: bool
    service_type: str | None
    rate_types: tuple[str, ...]
    ship_date: date
    packages: tuple[Package, ...]
    return_transit: bool
    sort_order: str
    carrier_codes: tuple[str, ...]
    packaging_type: str


def _invalid(path: str, reason: str) -> FedexError:
    return FedexError(400, "INVALID.INPUT.EXCEPTION", params={"path": path, "reason": reason})


def _decimal(value: Any, path: str) -> Decimal:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise _invalid(path, "not a number") from exc


def _postal(address: dict[str, Any]) -> tuple[str, str]:
    country = str(address.get("countryCode") or "").strip().upper()
    postal = str(address.get("postalCode") or "").strip().upper()
    return country, postal


def _check_postal(country: str, postal: str, code: str, config: FedexEmulatorConfig) -> None:
    pattern = POSTAL_FORMATS.get(country)
    if not postal or len(postal) > 10 or (pattern is not None and not pattern.match(postal)):
        raise FedexError(400, code, params={"postalCode": postal, "countryCode": country})


CUSTOMS = "requestedShipment.customsClearanceDetail"
HS_CODE = re.compile(r"^\d[\d.]{5,13}$")


def check_customs(detail: Any) -> None:
    """International rating needs commodity data ("Customs commodity data is required for
    international and intra-country rating", RateQuotes OpenAPI): description, quantity and its
    units, weight, customs value and country of manufacture per commodity; an HS code, when given,
    must look like one."""
    commodities = detail.get("commodities") if isinstance(detail, dict) else None
    if not isinstance(commodities, list) or not commodities:
        raise _invalid(f"{CUSTOMS}.commodities", "customs commodity data is required for international rating")
    for n, c in enumerate(commodities):
        where = f"{CUSTOMS}.commodities[{n}]"
        if not isinstance(c, dict):
            raise _invalid(where, "must be an object")
        description = str(c.get("description") or "").strip()
        if not description or len(description) > 450:
            raise _invalid(f"{where}.description", "required, at most 450 characters")
        if not isinstance(c.get("quantity"), int) or c["quantity"] <= 0:
            raise _invalid(f"{where}.quantity", "required, a whole number above 0")
        if not str(c.get("quantityUnits") or "").strip():
            raise _invalid(f"{where}.quantityUnits", "required")
        weight: dict[str, Any] = c["weight"] if isinstance(c.get("weight"), dict) else {}
        if weight.get("units") not in ("LB", "KG") or _decimal(weight.get("value"), f"{where}.weight.value") <= 0:
            raise _invalid(f"{where}.weight", "required: units LB or KG and a value above 0")
        value: dict[str, Any] = c["customsValue"] if isinstance(c.get("customsValue"), dict) else {}
        currency = str(value.get("currency") or "")
        if value.get("amount") is None or len(currency) != 3:
            raise _invalid(f"{where}.customsValue", "required: amount and currency")
        _decimal(value.get("amount"), f"{where}.customsValue.amount")
        country = str(c.get("countryOfManufacture") or "").strip()
        if not 2 <= len(country) <= 4:
            raise _invalid(f"{where}.countryOfManufacture", "required (max length 4)")
        code = c.get("harmonizedCode")
        if code is not None and not HS_CODE.match(str(code)):
            raise _invalid(f"{where}.harmonizedCode", "not a harmonized system code")


def check_account(body: Any, config: FedexEmulatorConfig) -> None:
    account = body.get("accountNumber") if isinstance(body, dict) else None
    value = account.get("value") if isinstance(account, dict) else None
    if value is None or not str(value).strip():
        raise FedexError(400, "SHIPPER.ACCOUNT.REQUIRED")
    if str(value).strip() != config.account_number:
        raise FedexError(400, "ACCOUNT.NUMBER.MISMATCH")


def parse_shipment(body: dict[str, Any], config: FedexEmulatorConfig, today: date) -> Shipment:
    rs = body["requestedShipment"]
    shipper = (rs.get("shipper") or {}).get("address") or {}
    recipient = (rs.get("recipient") or {}).get("address") or {}
    o_country, o_postal = _postal(shipper)
    d_country, d_postal = _postal(recipient)
    _check_postal(o_country, o_postal, "COUNTRY.POSTALCODE.INVALID", config)
    _check_postal(d_country, d_postal, "DESTINATION.POSTALCODE.MISSING.ORINVALID", config)
    for country, postal in ((o_country, o_postal), (d_country, d_postal)):
        if country in config.unserved_countries or postal in config.unserved_postal_codes:
            raise FedexError(400, "RATE.LOCATION.NOSERVICE")
    if o_country != d_country and not rs.get("documentShipment"):
        check_customs(rs.get("customsClearanceDetail"))
    for side, address in (("shipper", shipper), ("recipient", recipient)):
        state = address.get("stateOrProvinceCode")
        if state is not None and len(str(state)) > 2:
            raise _invalid(f"requestedShipment.{side}.address.stateOrProvinceCode", "max length is 2")

    items = rs.get("requestedPackageLineItems") or []
    if not items:
        raise _invalid("requestedShipment.requestedPackageLineItems", "at least one package is required")
    if len(items) > MAX_LINE_ITEMS:
        raise _invalid("requestedShipment.requestedPackageLineItems", f"at most {MAX_LINE_ITEMS} items")
    packages = tuple(_package(item, i) for i, item in enumerate(items))

    ship_date = today
    if rs.get("shipDateStamp"):
        try:
            ship_date = date.fromisoformat(str(rs["shipDateStamp"]))
        except ValueError as exc:
            raise _invalid("requestedShipment.shipDateStamp", "expected YYYY-MM-DD") from exc
        if not today <= ship_date <= today + timedelta(days=config.ship_date_window_days):
            raise _invalid(
                "requestedShipment.shipDateStamp",
                f"must be between today and {config.ship_date_window_days} days ahead",
            )

    controls = body.get("rateRequestControlParameters") or {}
    rate_types = tuple(str(t) for t in (rs.get("rateRequestType") or ["ACCOUNT"]))
    service_type = rs.get("serviceType")
    return Shipment(
        origin_country=o_country,
        origin_postal=o_postal,
        dest_country=d_country,
        dest_postal=d_postal,
        residential=bool(recipient.get("residential")),
        service_type=str(service_type) if service_type else None,
        rate_types=rate_types,
        ship_date=ship_date,
        packages=packages,
        return_transit=bool(controls.get("returnTransitTimes")),
        sort_order=str(controls.get("rateSortOrder") or "SERVICENAMETRADITIONAL"),
        carrier_codes=tuple(str(c) for c in (body.get("carrierCodes") or [])),
        packaging_type=str(rs.get("packagingType") or "YOUR_PACKAGING"),
    )


def _package(item: dict[str, Any], index: int) -> Package:
    path = f"requestedShipment.requestedPackageLineItems.{index}"
    weight = item.get("weight") or {}
    value = _decimal(weight.get("value"), f"{path}.weight.value")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise _invalid(f"{path}.weight.value", "at most two decimals")
    if value <= 0:
        raise FedexError(400, "WEIGHT.VALUE.INVALID", params={"path": f"{path}.weight.value"})
    weight_lb = value * KG_TO_LB if str(weight.get("units")).upper() == "KG" else value
    if weight_lb > MAX_PACKAGE_LB:
        raise FedexError(
            400,
            "SERVICE.PACKAGECOMBINATION.INVALID",
            params={"path": f"{path}.weight.value", "reason": "over 150 lb per package"},
        )
    dims = item.get("dimensions")
    dims_in = None
    if dims:
        factor = CM_TO_IN if str(dims.get("units")).upper() == "CM" else Decimal(1)
        sides = []
        for side in ("length", "width", "height"):
            number = _decimal(dims.get(side), f"{path}.dimensions.{side}")
            if number <= 0 or number > 999 or number != number.to_integral_value():
                raise _invalid(f"{path}.dimensions.{side}", "an integer from 1 to 999")
            sides.append(number * factor)
        dims_in = (sides[0], sides[1], sides[2])
    count = int(_decimal(item.get("groupPackageCount") or 1, f"{path}.groupPackageCount"))
    return Package(weight_lb=weight_lb, dims_in=dims_in, count=max(1, count))


def ceil_lb(value: Decimal) -> int:
    return max(1, math.ceil(value))
