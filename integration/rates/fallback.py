"""Backup rates when FedEx is slow, down or refuses: a table by zone and weight (Shopify's advice
for live-rate apps: keep app-specific backup rates so checkout never shows nothing; reference
fedex.md §4.1-4.2).

Zones: ``regional`` (same country and state/province), ``domestic`` (same country),
``international``. The price is the first band whose ``max_weight_lb`` covers the shipment's
total weight; heavier shipments pay the last band once per started multiple of its weight.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal

from integration.clients.fedex import Address, Parcel
from integration.rates.config import FallbackBand, RatesConfig, Zone
from integration.rates.dates import add_business_days
from integration.rates.rules import FinalRate, fallback_price


def fallback_zone(origin: Address, destination: Address) -> Zone:
    if origin.country.upper() != destination.country.upper():
        return "international"
    if origin.state and destination.state and origin.state.upper() == destination.state.upper():
        return "regional"
    return "domestic"


def band_price(bands: list[FallbackBand], weight_lb: Decimal) -> Decimal:
    for band in bands:
        if weight_lb <= band.max_weight_lb:
            return band.price
    last = bands[-1]
    multiples = (weight_lb / last.max_weight_lb).to_integral_value(rounding=ROUND_CEILING)
    return last.price * multiples


def fallback_rates(
    origin: Address,
    destination: Address,
    parcels: list[Parcel],
    subtotal: Decimal,
    currency: str,
    config: RatesConfig,
    today: date,
) -> list[FinalRate]:
    zone = fallback_zone(origin, destination)
    weight = sum((p.weight_lb for p in parcels), Decimal(0))
    rates = []
    for service in config.fallback:
        bands = service.zones.get(zone)
        if not bands:
            continue  # e.g. no express fallback abroad
        start = add_business_days(today, config.processing_days)
        rates.append(
            FinalRate(
                service_code=service.service_code,
                service_name=service.display_name,
                description=service.description,
                amount=fallback_price(band_price(bands, weight), service.free_shipping_threshold, subtotal, config),
                currency=currency,
                min_delivery=add_business_days(start, service.min_days),
                max_delivery=add_business_days(start, service.max_days),
                source="fallback",
            )
        )
    return rates
