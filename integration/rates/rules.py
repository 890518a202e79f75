"""Merchant rules applied to carrier quotes (pure).

Per FedEx service on the allow-list, in this order: markup percent, markup fixed, handling fee,
free-shipping threshold (cart subtotal ≥ threshold → 0), rounding. Services not on the allow-list,
including codes FedEx invents later (``*_EXTRA_HOURS``, reference fedex.md §2.5), are dropped
rather than shown with FedEx's raw name. Fallback rates get only the threshold and rounding:
their table prices are already what the merchant wants to charge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from integration.clients.fedex import ServiceQuote
from integration.rates.config import RatesConfig, Rounding

CENT = Decimal("0.01")


@dataclass(frozen=True)
class FinalRate:
    service_code: str
    service_name: str
    description: str
    amount: Decimal
    currency: str
    min_delivery: datetime | date | None
    max_delivery: datetime | date | None
    source: str  # "fedex" | "fallback"


def round_price(amount: Decimal, rounding: Rounding) -> Decimal:
    amount = max(Decimal(0), amount)
    if rounding.mode != "none":
        steps = amount / rounding.increment
        mode = ROUND_CEILING if rounding.mode == "up" else ROUND_HALF_UP
        amount = steps.quantize(Decimal(1), rounding=mode) * rounding.increment
    if rounding.ending is not None and amount > 0:
        whole = amount.to_integral_value(rounding=ROUND_CEILING)
        candidate = whole - 1 + rounding.ending
        amount = candidate if candidate >= amount else whole + rounding.ending
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def price_for(quote: ServiceQuote, subtotal: Decimal, config: RatesConfig) -> Decimal | None:
    """The checkout price of one FedEx quote, or None when the service is not offered."""
    rule = config.services.get(quote.service_type)
    if rule is None:
        return None
    amount = quote.amount * (1 + rule.markup_percent / 100) + rule.markup_fixed + config.handling_fee
    if rule.free_shipping_threshold is not None and subtotal >= rule.free_shipping_threshold:
        return Decimal("0.00")
    return round_price(amount, config.rounding)


def apply_rules(
    quotes: list[ServiceQuote],
    subtotal: Decimal,
    config: RatesConfig,
    delivery: dict[str, tuple[datetime | date | None, datetime | date | None]] | None = None,
) -> list[FinalRate]:
    """Allowed services in the configured order; ``delivery`` maps service type → (min, max) dates."""
    by_type = {q.service_type: q for q in quotes}
    rates = []
    for service_type, rule in config.services.items():
        quote = by_type.get(service_type)
        if quote is None:
            continue
        price = price_for(quote, subtotal, config)
        if price is None:
            continue
        low, high = (delivery or {}).get(service_type, (None, None))
        rates.append(
            FinalRate(
                service_code=service_type,
                service_name=rule.display_name,
                description=rule.description,
                amount=price,
                currency=quote.currency,
                min_delivery=low,
                max_delivery=high,
                source="fedex",
            )
        )
    return rates


def fallback_price(amount: Decimal, threshold: Decimal | None, subtotal: Decimal, config: RatesConfig) -> Decimal:
    if threshold is not None and subtotal >= threshold:
        return Decimal("0.00")
    return round_price(amount, config.rounding)
