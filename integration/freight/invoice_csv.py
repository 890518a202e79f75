"""The FedEx invoice data export (FedEx Billing Online, "Download invoice data", CSV with a header row).

Columns read, by header name (order does not matter; unknown columns are ignored). The names are those
of FedEx Billing Online's "All columns" download as written by several public parsers of that file
(we did not find FedEx's own data dictionary online, so treat the list as observed, not documented):

========================================  ==========================================================
``Express or Ground Tracking ID``          tracking number (required; matched to F&O's tracking numbers)
``Net Charge Amount``                      what FedEx bills for the package (required), decimal
``Invoice Number`` / ``Invoice Date``      FedEx invoice (date ``YYYYMMDD``)
``Shipment Date``                          ``YYYYMMDD``
``Service Type`` / ``Ground Service``      service as FedEx names it
``Transportation Charge Amount``           base freight before surcharges and discounts
``Rated Weight Amount`` / ``...Units``     billed (dimensional or actual) weight
``Actual Weight Amount`` / ``...Units``    scale weight
``Dim Length/Width/Height/Divisor/Unit``   dimensions and the divisor used for dimensional weight
``Zone Code``                              FedEx zone
``Tracking ID Charge Description``/        repeated pairs (suffixes vary by export: ``_1``, ``(2)``,
``Tracking ID Charge Amount``              ``.1``, or the same name repeated): surcharges and discounts, kept
========================================  ==========================================================

A file with a missing required column or an unreadable amount is refused whole (400 with the row), so
nothing half-imported ever reaches the audit.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

TRACKING, NET = "Express or Ground Tracking ID", "Net Charge Amount"
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000


class InvoiceFileError(ValueError):
    """The upload is not a FedEx invoice export we can read (permanent: a 400)."""


@dataclass
class FedexCharge:
    tracking: str
    net_charge: Decimal
    invoice_number: str = ""
    invoice_date: str = ""
    ship_date: str = ""
    service: str = ""
    transportation: Decimal | None = None
    rated_weight: str = ""
    actual_weight: str = ""
    dims: str = ""
    dim_divisor: str = ""
    zone: str = ""
    surcharges: list[dict[str, str]] = field(default_factory=list)
    source: str = "invoice"  # invoice (FedEx Billing Online export) | ship_api (Ship API reply)
    packages: list[str] = field(default_factory=list)  # a Ship API shipment's package tracking numbers


def _date(value: str) -> str:
    value = value.strip()
    if re.fullmatch(r"\d{8}", value):
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return value


def _amount(value: str, row: int, column: str) -> Decimal:
    text = value.strip().replace(",", "").replace("$", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvoiceFileError(f"row {row}: {column} {value[:30]!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e9"):  # NaN, Infinity, 1e999 are not money
        raise InvoiceFileError(f"row {row}: {column} {value[:30]!r} is not an amount")
    return amount


def _charge_pairs(headers: list[str]) -> list[tuple[str, str]]:
    descriptions = [h for h in headers if h.startswith("Tracking ID Charge Description")]
    amounts = [h for h in headers if h.startswith("Tracking ID Charge Amount")]
    return list(zip(descriptions, amounts, strict=False))


def parse(data: bytes) -> list[FedexCharge]:
    if len(data) > MAX_BYTES:
        raise InvoiceFileError(f"file is larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    reader = csv.reader(io.StringIO(text))
    seen: dict[str, int] = {}
    headers = []
    for name in next(reader, []):
        name = name.strip()
        seen[name] = seen.get(name, 0) + 1
        # Repeated names (the surcharge pairs) are made unique in order: "X", "X#2", "X#3"...
        headers.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    missing = [c for c in (TRACKING, NET) if c not in headers]
    if missing:
        raise InvoiceFileError(f"not a FedEx invoice export: missing column(s) {', '.join(missing)}")
    pairs = _charge_pairs(headers)
    charges = []
    for number, values in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise InvoiceFileError(f"more than {MAX_ROWS} rows: split the file")
        get = {k: v.strip() for k, v in zip(headers, values, strict=False)}
        tracking = get.get(TRACKING, "")
        if not tracking:
            continue  # account-level lines (e.g. invoice fees) have no tracking number
        units = get.get("Rated Weight Units", "")
        charges.append(
            FedexCharge(
                tracking=tracking,
                net_charge=_amount(get.get(NET, ""), number, NET),
                invoice_number=get.get("Invoice Number", ""),
                invoice_date=_date(get.get("Invoice Date", "")),
                ship_date=_date(get.get("Shipment Date", "")),
                service=get.get("Service Type") or get.get("Ground Service", ""),
                transportation=(
                    _amount(get["Transportation Charge Amount"], number, "Transportation Charge Amount")
                    if get.get("Transportation Charge Amount")
                    else None
                ),
                rated_weight=f"{get.get('Rated Weight Amount', '')} {units}".strip(),
                actual_weight=f"{get.get('Actual Weight Amount', '')} {get.get('Actual Weight Units', '')}".strip(),
                dims="x".join(v for v in (get.get("Dim Length"), get.get("Dim Width"), get.get("Dim Height")) if v)
                + (f" {get.get('Dim Unit')}" if get.get("Dim Unit") else ""),
                dim_divisor=get.get("Dim Divisor", ""),
                zone=get.get("Zone Code", ""),
                surcharges=[
                    {"description": get[d], "amount": str(_amount(get[a], number, a))}
                    for d, a in pairs
                    if get.get(d) and get.get(a)
                ],
            )
        )
    return charges
