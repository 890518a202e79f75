"""Checkout rates, end to end but transport-free: Shopify request → Shopify response body.

plan (packages) → cache key → in-process cache → circuit breaker → single-flight FedEx call under
a hard deadline (``deadline_s``, well inside Shopify's 3-10 s) → rules → response. When FedEx is
slow, failing or the circuit is open the answer is the fallback table, never an error: Shopify
has no retry and would show its own backup rates. A late FedEx answer still fills the cache.

FedEx refusing the request with a 4xx (no service to the destination, an invalid postal code,
missing customs data...) also answers the fallback table, never an empty list, and the FedEx error
codes are recorded (log line ``rates.fedex_refused`` and the quote audit's reason). A cart that
cannot be packed at all still answers an empty list.

International shipments carry customs data (customs.py); quotes in another currency than the
checkout's are converted with a configured rate or dropped with an audit line (currency.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from integration.clients.fedex import FedexAuthError, FedexClient, FedexError, FedexRejected, ServiceQuote
from integration.rates.breaker import CircuitBreaker
from integration.rates.cache import SingleFlight, TTLCache
from integration.rates.checkout import from_fallback, from_quotes, plan
from integration.rates.config import RatesConfig, load_rates_config
from integration.rates.currency import in_currency
from integration.rates.customs import CustomsConfig, load_customs
from integration.rates.keys import rate_cache_key
from integration.rates.packaging import PackagingError
from integration.rates.request import ShopifyRate
from integration.rates.shared_cache import RedisQuoteCache
from shared.logs import get_logger, log_event
from shared.settings import Settings

log = get_logger(__name__)
MAX_TRACKED_KEYS = 10_000
MAX_ANSWERS = 10_000  # answer bodies kept for repeat carts (cleared whole when full)
INLINE_PACKING_LINES = 20  # carts up to this many lines are packed on the event loop (well under 1 ms)


@dataclass(frozen=True)
class RatesOutcome:
    body: dict[str, Any]
    source: str  # fedex | cache | fallback | none
    reason: str = ""  # why fallback / none (for the trigger's summary log line)


@dataclass
class RateStats:
    requests: int = 0
    cache_hits: int = 0
    shared_hits: int = 0
    fedex_calls: int = 0
    coalesced: int = 0
    fallbacks: int = 0
    deadline_hits: int = 0
    breaker_skips: int = 0
    refused: int = 0
    currency_dropped: int = 0
    last_refusal: str = ""
    by_key: dict[str, int] = field(default_factory=dict)


def packs_off_loop(rate: ShopifyRate) -> bool:
    """Whether packing this cart goes to a worker thread (a long cart: tens of milliseconds of CPU)."""
    return len(rate.shipped_items) > INLINE_PACKING_LINES


class RateService:
    def __init__(
        self,
        client: FedexClient,
        config: RatesConfig,
        *,
        customs: CustomsConfig | None = None,
        shared: RedisQuoteCache | None = None,
        breaker: CircuitBreaker | None = None,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], date] | None = None,
    ) -> None:
        self.client, self.config = client, config
        self.customs = customs or CustomsConfig()
        self.cache: TTLCache[list[ServiceQuote]] = TTLCache(clock=clock)
        self.shared = shared  # optional Redis (REDIS_URL) behind the in-process cache
        self.breaker = breaker or CircuitBreaker(clock=clock)
        self.flights: SingleFlight[list[ServiceQuote]] = SingleFlight()
        self.stats = RateStats()
        # The answer body for (quote key, currency, cart value, day), with the quotes it was made from:
        # a repeat cart whose quotes are still the cached ones gets the same body without rules, delivery
        # dates and formatting again (the largest part of a cache hit's CPU).
        self.answers: dict[tuple[str, str, Decimal, date], tuple[list[ServiceQuote], RatesOutcome]] = {}
        self._clock = clock
        self._today = today or (lambda: datetime.now(ZoneInfo(config.timezone)).date())

    async def rates(self, rate: ShopifyRate) -> RatesOutcome:
        started = self._clock()
        self.stats.requests += 1
        today = self._today()
        try:
            if packs_off_loop(rate):
                # Packing is bounded (lines x 99 packages) but a long cart still takes tens of
                # milliseconds: do it on a worker thread so other checkouts keep being answered.
                query = await asyncio.to_thread(plan, rate, self.config, self.customs)
            else:
                query = plan(rate, self.config, self.customs)
        except PackagingError as error:
            self.stats.refused += 1
            return RatesOutcome({"rates": []}, "none", f"packaging: {error}")
        key = rate_cache_key(query, self.client.account_number)
        cached = await self._cached(key)
        if cached is not None:
            self.stats.cache_hits += 1
            return self._answer(rate, query, cached, today, "cache", key)
        if not self.breaker.allow():
            self.stats.breaker_skips += 1
            return self._fallback(rate, query, today, "circuit open")

        async def call() -> list[ServiceQuote]:
            self.stats.fedex_calls += 1
            # FedEx calls per key, for tests and benchmarks; bounded so a long-lived worker cannot grow it.
            if key in self.stats.by_key or len(self.stats.by_key) < MAX_TRACKED_KEYS:
                self.stats.by_key[key] = self.stats.by_key.get(key, 0) + 1
            try:
                quotes = await self.client.rate(query)
            except FedexRejected:
                self.breaker.success()  # FedEx answered; the request was the problem
                raise
            except Exception:
                self.breaker.failure()
                raise
            self.breaker.success()
            self.cache.set(key, quotes, self.config.cache_ttl_s)
            if self.shared is not None:
                await self.shared.set(key, quotes, self.config.cache_ttl_s)
            return quotes

        before = self.flights.coalesced
        task = self.flights.task(key, call)
        self.stats.coalesced += self.flights.coalesced - before
        remaining = self.config.deadline_s - (self._clock() - started)
        try:
            quotes = await asyncio.wait_for(asyncio.shield(task), timeout=max(0.0, remaining))
        except TimeoutError:
            self.stats.deadline_hits += 1
            return self._fallback(rate, query, today, "deadline")
        except FedexRejected as error:
            self.stats.refused += 1
            codes = ",".join(error.codes) or str(error.status)
            self.stats.last_refusal = codes
            log_event(
                log,
                "rates.fedex_refused",
                logging.WARNING,
                status=error.status,
                codes=codes,
                transaction_id=error.transaction_id,
                destination_country=rate.destination.country,
            )
            return self._fallback(rate, query, today, f"fedex refused: {codes}")
        except FedexAuthError as error:
            log.error("FedEx refused our credentials (%s); serving fallback rates", error.codes)
            return self._fallback(rate, query, today, "auth")
        except FedexError as error:
            log.warning("FedEx unavailable (%s); serving fallback rates", error)
            return self._fallback(rate, query, today, f"fedex: {type(error).__name__}")
        return self._answer(rate, query, quotes, today, "fedex", key)

    def _answer(
        self, rate: ShopifyRate, query: Any, quotes: list[ServiceQuote], today: date, source: str, key: str
    ) -> RatesOutcome:
        memo = (key, rate.currency, rate.subtotal(), today)
        known = self.answers.get(memo)
        if known is not None and known[0] is quotes:
            return RatesOutcome(known[1].body, source, known[1].reason)
        usable, dropped = in_currency(quotes, rate.currency, self.config)
        if not dropped:
            outcome = RatesOutcome(from_quotes(rate, usable, self.config, today), source)
            if len(self.answers) >= MAX_ANSWERS:
                self.answers.clear()
            self.answers[memo] = (quotes, outcome)
            return outcome
        self.stats.currency_dropped += len(dropped)
        note = f"currency: dropped {len(dropped)} quote(s) in {','.join(sorted({d.currency for d in dropped}))}"
        log_event(
            log,
            "rates.currency_dropped",
            logging.WARNING,
            checkout_currency=rate.currency,
            services=[d.service_type for d in dropped],
            currencies=sorted({d.currency for d in dropped}),
            hint="add the pair to exchange_rates in the rates config",
        )
        body = from_quotes(rate, usable, self.config, today)
        if not body.get("rates"):
            return self._fallback(rate, query, today, note)
        return RatesOutcome(body, source, note)

    async def _cached(self, key: str) -> list[ServiceQuote] | None:
        quotes = self.cache.get(key)
        if quotes is None and self.shared is not None:
            quotes = await self.shared.get(key)
            if quotes is not None:
                self.stats.shared_hits += 1
                self.cache.set(key, quotes, self.config.cache_ttl_s)
        return quotes

    def _fallback(self, rate: ShopifyRate, query: Any, today: date, reason: str) -> RatesOutcome:
        self.stats.fallbacks += 1
        return RatesOutcome(from_fallback(rate, query, self.config, today), "fallback", reason)


def build_rate_service(settings: Settings, fedex: FedexClient, config_path: str | None = None) -> RateService:
    """The long-lived service (``integration.bootstrap.rate_service``, one per worker process): the
    worker's FedEx client, rules from ``config_path`` (default file if None), customs data from
    config/mappings.json, Redis only when ``REDIS_URL`` is set."""
    shared = RedisQuoteCache.from_url(settings.REDIS_URL) if settings.REDIS_URL else None
    return RateService(fedex, load_rates_config(config_path), customs=load_customs(), shared=shared)
