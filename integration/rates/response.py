"""Shopify's CarrierService response (reference shopify.md §3.3), from final rates (pure).

``total_price`` is a string in subunits; Shopify says currencies without subunits are still
multiplied by 100, so it is always amount * 100. Dates are ``YYYY-MM-DD HH:MM:SS ±zzzz`` as in
Shopify's sample; FedEx's local times are placed in the configured time zone, and a bare date
(a computed Ground date) is shown at the end of that day.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integration.rates.rules import FinalRate

END_OF_DAY = time(23, 59, 0)


def subunits(amount: Decimal) -> str:
    return str(int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)))


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def shopify_date(value: datetime | date | None, timezone: str) -> str | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.combine(value, END_OF_DAY)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(timezone))
    return moment.strftime("%Y-%m-%d %H:%M:%S %z")


def to_shopify(rates: list[FinalRate], timezone: str = "UTC") -> dict[str, list[dict[str, str]]]:
    out = []
    for rate in rates:
        entry = {
            "service_name": rate.service_name,
            "service_code": rate.service_code,
            "total_price": subunits(rate.amount),
            "currency": rate.currency,
            "description": rate.description,
        }
        low, high = shopify_date(rate.min_delivery, timezone), shopify_date(rate.max_delivery, timezone)
        if low:
            entry["min_delivery_date"] = low
        if high:
            entry["max_delivery_date"] = high
        out.append(entry)
    return {"rates": out}
