"""Optional shared quote cache in Redis (``REDIS_URL``), behind the in-process one.

Several Functions instances then share FedEx answers. Redis is an optimisation, never a
dependency of checkout: every Redis call has a short timeout and any failure counts as a miss.
Quotes are stored as JSON with Decimal money as strings (exact), under the normalized cache key.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from integration.clients.fedex import ServiceQuote

log = logging.getLogger(__name__)
DECIMALS = ("amount", "net_charge", "list_amount")


def dump_quotes(quotes: list[ServiceQuote]) -> str:
    rows = []
    for quote in quotes:
        row = dataclasses.asdict(quote)
        for name in DECIMALS:
            row[name] = None if row[name] is None else str(row[name])
        row["delivery"] = quote.delivery.isoformat() if quote.delivery else None
        rows.append(row)
    return json.dumps(rows, separators=(",", ":"))


def load_quotes(text: str | bytes) -> list[ServiceQuote]:
    quotes = []
    for row in json.loads(text):
        for name in DECIMALS:
            row[name] = None if row[name] is None else Decimal(row[name])
        row["delivery"] = datetime.fromisoformat(row["delivery"]) if row["delivery"] else None
        quotes.append(ServiceQuote(**row))
    return quotes


class RedisQuoteCache:
    def __init__(self, client: Any, timeout_s: float = 0.15) -> None:
        self.redis, self.timeout_s = client, timeout_s
        self.errors = 0

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisQuoteCache:
        import redis.asyncio as redis  # imported only when REDIS_URL is set

        return cls(redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5), **kwargs)

    async def get(self, key: str) -> list[ServiceQuote] | None:
        try:
            raw = await asyncio.wait_for(self.redis.get(key), self.timeout_s)
            return load_quotes(raw) if raw else None
        except Exception as error:  # a cache failure is a miss, whatever it is
            self.errors += 1
            log.warning("rate cache read failed: %s", type(error).__name__)
            return None

    async def set(self, key: str, quotes: list[ServiceQuote], ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        try:
            await asyncio.wait_for(self.redis.set(key, dump_quotes(quotes), ex=max(1, int(ttl_s))), self.timeout_s)
        except Exception as error:
            self.errors += 1
            log.warning("rate cache write failed: %s", type(error).__name__)

    async def aclose(self) -> None:
        await self.redis.aclose()
