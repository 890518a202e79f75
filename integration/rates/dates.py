"""Delivery dates for Shopify's ``min_delivery_date`` / ``max_delivery_date`` (pure).

FedEx gives Express a local delivery timestamp and Ground a transit-day count (reference fedex.md
§2.6); either becomes a date here, plus the merchant's processing days (business days).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from integration.clients.fedex import ServiceQuote


def add_business_days(start: date, days: int) -> date:
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def delivery_window(
    quote: ServiceQuote, ship_date: date, processing_days: int
) -> tuple[datetime | date | None, datetime | date | None]:
    """(min, max) delivery for a quote; FedEx's own timestamp wins over a computed date."""
    if quote.delivery is not None:
        low: datetime | date = quote.delivery
        if processing_days:
            low = datetime.combine(add_business_days(quote.delivery.date(), processing_days), quote.delivery.time())
        high: datetime | date = low
        if quote.max_transit_days and quote.transit_days and quote.max_transit_days > quote.transit_days:
            extra = quote.max_transit_days - quote.transit_days
            high = datetime.combine(add_business_days(_as_date(low), extra), quote.delivery.time())
        return low, high
    if quote.transit_days is None:
        return None, None
    start = add_business_days(ship_date, processing_days)
    low_date = add_business_days(start, quote.transit_days)
    high_date = add_business_days(start, quote.max_transit_days or quote.transit_days)
    return low_date, high_date


def _as_date(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
