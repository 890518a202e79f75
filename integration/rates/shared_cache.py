"""Optional shared quote cache in Redis (``REDIS_URL``), behind the in-process one.

Azure Cache for Redis is used with Entra ID only (access keys disabled in infra/core/redis.bicep):
for a ``*.redis.cache.windows.net`` URL without a password the app authenticates with a token of its
managed identity (``https://redis.azure.com/.default``; user name = the identity's object id), fetched
again for new connections before it expires. Any other URL (a local Redis) is used as given.

Several Functions instances then share FedEx answers. Redis is an optimisation, never a
dependency of checkout: every Redis call has a short timeout and any failure counts as a miss.
Quotes are stored as JSON with Decimal money as strings (exact), under the normalized cache key.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import logging
import time
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

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


AZURE_REDIS_HOSTS = (".redis.cache.windows.net", ".redis.azure.net")
REDIS_SCOPE = "https://redis.azure.com/.default"


def uses_entra_id(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.hostname and parts.hostname.endswith(AZURE_REDIS_HOSTS) and not parts.password)


def _object_id(token: str) -> str:
    """The ``oid`` claim of an access token (its payload is base64url JSON; no verification needed:
    the token came from Entra ID over TLS and Redis verifies it)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["oid"])


class EntraIdCredentials:
    """redis-py credential provider: (object id, access token) of the app's managed identity."""

    def __init__(self, credential: Any = None, refresh_margin_s: float = 300) -> None:
        self._credential = credential
        self._margin = refresh_margin_s
        self._token: Any = None

    def _fresh(self) -> tuple[str, str]:
        if self._credential is None:
            from azure.identity import DefaultAzureCredential  # AZURE_CLIENT_ID picks the identity

            self._credential = DefaultAzureCredential()
        if self._token is None or self._token.expires_on - self._margin <= time.time():
            self._token = self._credential.get_token(REDIS_SCOPE)
        return _object_id(self._token.token), self._token.token

    def get_credentials(self) -> tuple[str, str]:
        return self._fresh()

    async def get_credentials_async(self) -> tuple[str, str]:
        return await asyncio.to_thread(self._fresh)


class RedisQuoteCache:
    def __init__(self, client: Any, timeout_s: float = 0.15) -> None:
        self.redis, self.timeout_s = client, timeout_s
        self.errors = 0

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisQuoteCache:
        import redis.asyncio as redis  # imported only when REDIS_URL is set

        options: dict[str, Any] = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
        if uses_entra_id(url):
            options["credential_provider"] = EntraIdCredentials()
        return cls(redis.from_url(url, **options), **kwargs)

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
