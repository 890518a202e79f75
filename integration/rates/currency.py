"""One currency per checkout: FedEx quotes in another currency than the Shopify request's (FedEx's
own samples show ACCOUNT rates in CAD) are converted with a configured rate, or dropped. Markups,
rounding and free-shipping thresholds then only ever see the checkout's currency."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from integration.clients.fedex import ServiceQuote
from integration.rates.config import RatesConfig

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Dropped:
    service_type: str
    currency: str


def _convert(amount: Decimal | None, rate: Decimal) -> Decimal | None:
    return None if amount is None else (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def in_currency(
    quotes: list[ServiceQuote], currency: str, config: RatesConfig
) -> tuple[list[ServiceQuote], list[Dropped]]:
    """The quotes in ``currency`` (converted where a rate is configured) and the ones dropped."""
    kept: list[ServiceQuote] = []
    dropped: list[Dropped] = []
    target = currency.upper()
    for quote in quotes:
        source = quote.currency.upper()
        if source == target:
            kept.append(quote)
            continue
        rate = config.exchange_rates.get(f"{source}/{target}")
        if rate is None:
            inverse = config.exchange_rates.get(f"{target}/{source}")
            rate = (Decimal(1) / inverse) if inverse else None
        if rate is None:
            dropped.append(Dropped(quote.service_type, source))
            continue
        kept.append(
            replace(
                quote,
                amount=_convert(quote.amount, rate) or Decimal(0),
                net_charge=_convert(quote.net_charge, rate),
                list_amount=_convert(quote.list_amount, rate),
                currency=target,
            )
        )
    return kept, dropped
