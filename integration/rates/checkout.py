"""The pure steps of a checkout rate request, for the trigger/service to call in order:

1. :func:`plan` - Shopify request → FedEx :class:`RateQuery` (packages, residential decision);
2. (the service: cache key → cache / FedEx client with deadline);
3. :func:`from_quotes` or :func:`from_fallback` → Shopify's ``{"rates": [...]}`` body.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from integration.clients.fedex import Address, RateQuery, ServiceQuote
from integration.rates.config import RatesConfig
from integration.rates.customs import CustomsConfig, commodities, is_international
from integration.rates.dates import delivery_window
from integration.rates.fallback import fallback_rates
from integration.rates.packaging import pack
from integration.rates.request import ShopifyAddress, ShopifyRate
from integration.rates.response import to_shopify
from integration.rates.rules import apply_rules


def _address(address: ShopifyAddress, residential: bool) -> Address:
    return Address(
        country=address.country,
        postal_code=address.postal_code,
        state=address.province or None,
        city=address.city or None,
        residential=residential,
    )


def is_residential(rate: ShopifyRate, config: RatesConfig) -> bool:
    if config.residential == "auto":
        return rate.destination.residential
    return config.residential == "always"


def plan(rate: ShopifyRate, config: RatesConfig, customs: CustomsConfig | None = None) -> RateQuery:
    """Raises PackagingError when the cart cannot go as FedEx parcels. International shipments
    carry the customs data FedEx needs to rate them."""
    parcels = pack(rate.shipped_items, config.packaging)
    return RateQuery(
        origin=_address(rate.origin, False),
        destination=_address(rate.destination, is_residential(rate, config)),
        parcels=tuple(parcels),
        rate_request_types=tuple(config.rate_request_types),
        commodities=commodities(rate, customs or CustomsConfig()) if is_international(rate) else (),
    )


def from_quotes(rate: ShopifyRate, quotes: list[ServiceQuote], config: RatesConfig, today: date) -> dict[str, Any]:
    """Quotes already in the checkout's currency (see currency.py) -> Shopify's response body."""
    delivery = {q.service_type: delivery_window(q, today, config.processing_days) for q in quotes}
    return to_shopify(apply_rules(quotes, rate.subtotal(), config, delivery), config.timezone)


def from_fallback(rate: ShopifyRate, query: RateQuery | None, config: RatesConfig, today: date) -> dict[str, Any]:
    parcels = list(query.parcels) if query else []
    origin = query.origin if query else _address(rate.origin, False)
    destination = query.destination if query else _address(rate.destination, is_residential(rate, config))
    rates = fallback_rates(origin, destination, parcels, rate.subtotal(), rate.currency, config, today)
    return to_shopify(rates, config.timezone)
