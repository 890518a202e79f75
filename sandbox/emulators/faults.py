"""Fault injection for the emulators, as ASGI middleware.

Every emulator wraps its app in :class:`FaultInjector`. The faults are set at start-up
(``FaultConfig``) or at run time through ``GET/PUT /_emulator/faults`` on the emulator itself,
and the decisions come from a seeded ``random.Random`` so a run is repeatable.

Faults, each decided independently per request, in this order:

* ``latency_ms`` + uniform ``jitter_ms``: added before the request is handled.
* ``spike_rate`` / ``spike_ms``: an occasional extra latency spike.
* ``rate_429``: answered ``429`` with ``Retry-After: retry_after_s`` (nothing applied).
* ``rate_500`` / ``rate_503``: answered 500 / 503 (nothing applied).
* ``rate_timeout``: the request hangs ``timeout_s`` seconds, then the connection is dropped
  (nothing applied): clients with a shorter timeout see a timeout.
* ``rate_drop``: the connection is dropped without a response (nothing applied).
* ``rate_lost_response``: the request **is applied**, then the connection is dropped: the case
  that breaks naive idempotency. Only for writes (POST/PATCH/PUT/DELETE) unless
  ``lost_response_reads`` is set.

``paths`` (a regular expression, default everything except ``/_emulator``) limits the faults to
matching request paths; ``methods`` limits them to those HTTP methods.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ADMIN_PREFIX = "/_emulator"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE", "MERGE"})


@dataclass
class FaultConfig:
    seed: int | None = None
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    spike_rate: float = 0.0
    spike_ms: float = 0.0
    rate_429: float = 0.0
    retry_after_s: float = 1.0
    rate_500: float = 0.0
    rate_503: float = 0.0
    rate_timeout: float = 0.0
    timeout_s: float = 30.0
    rate_drop: float = 0.0
    rate_lost_response: float = 0.0
    lost_response_reads: bool = False
    paths: str = ""
    methods: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        config = cls(**data)
        config.validate()
        return config

    def validate(self) -> None:
        for name in (
            "rate_429",
            "rate_500",
            "rate_503",
            "rate_timeout",
            "rate_drop",
            "rate_lost_response",
            "spike_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        for name in ("latency_ms", "jitter_ms", "spike_ms", "retry_after_s", "timeout_s"):
            if float(getattr(self, name)) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.paths:
            re.compile(self.paths)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class FaultStats:
    requests: int = 0
    delayed: int = 0
    status_429: int = 0
    status_500: int = 0
    status_503: int = 0
    timeouts: int = 0
    drops: int = 0
    lost_responses: int = 0


class FaultInjector:
    """ASGI middleware that injects faults and serves ``/_emulator/faults``."""

    def __init__(self, app: ASGIApp, config: FaultConfig | None = None) -> None:
        self.app = app
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        config.validate()
        self.config = config
        self.random = random.Random(config.seed)
        self.stats = FaultStats()
        self._paths = re.compile(config.paths) if config.paths else None

    def _applies(self, method: str, path: str) -> bool:
        if path.startswith(ADMIN_PREFIX):
            return False
        if self._paths is not None and not self._paths.search(path):
            return False
        return not self.config.methods or method in {m.upper() for m in self.config.methods}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        method = scope.get("method", "GET").upper()
        if path == f"{ADMIN_PREFIX}/faults":
            await self._admin(method, receive, send)
            return
        if not self._applies(method, path):
            await self.app(scope, receive, send)
            return
        await self._faulty(scope, receive, send, method)

    async def _faulty(self, scope: Scope, receive: Receive, send: Send, method: str) -> None:
        c, rnd, stats = self.config, self.random, self.stats
        stats.requests += 1
        # Draw every decision up front so the sequence depends only on the seed and request order.
        delay = c.latency_ms + (rnd.uniform(0, c.jitter_ms) if c.jitter_ms else 0.0)
        if c.spike_rate and rnd.random() < c.spike_rate:
            delay += c.spike_ms
        roll = rnd.random()
        lost_roll = rnd.random()
        if delay > 0:
            stats.delayed += 1
            await asyncio.sleep(delay / 1000.0)
        threshold = 0.0
        for rate, action in (
            (c.rate_429, "429"),
            (c.rate_500, "500"),
            (c.rate_503, "503"),
            (c.rate_timeout, "timeout"),
            (c.rate_drop, "drop"),
        ):
            threshold += rate
            if rate and roll < threshold:
                await self._fail(action, send)
                return
        writes = method in WRITE_METHODS or c.lost_response_reads
        if c.rate_lost_response and writes and lost_roll < c.rate_lost_response:
            stats.lost_responses += 1

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await _drop(send)
            return
        await self.app(scope, receive, send)

    async def _fail(self, action: str, send: Send) -> None:
        stats = self.stats
        if action == "429":
            stats.status_429 += 1
            await _json(
                send,
                429,
                {"error": "injected throttling"},
                [(b"retry-after", str(int(self.config.retry_after_s) or 1).encode())],
            )
        elif action in ("500", "503"):
            setattr(stats, f"status_{action}", getattr(stats, f"status_{action}") + 1)
            await _json(send, int(action), {"error": f"injected {action}"})
        elif action == "timeout":
            stats.timeouts += 1
            await asyncio.sleep(self.config.timeout_s)
            await _drop(send)
        else:
            stats.drops += 1
            await _drop(send)

    async def _admin(self, method: str, receive: Receive, send: Send) -> None:
        if method == "GET":
            await _json(send, 200, {"config": self.config.to_dict(), "stats": asdict(self.stats)})
            return
        if method in ("PUT", "POST"):
            body = await _read_body(receive)
            try:
                data = json.loads(body or b"{}")
                if not isinstance(data, dict):
                    raise ValueError("body must be a JSON object")
                self.configure(FaultConfig.from_dict(data))
            except (ValueError, TypeError) as exc:
                await _json(send, 400, {"error": str(exc)})
                return
            await _json(send, 200, {"config": self.config.to_dict()})
            return
        if method == "DELETE":
            self.configure(FaultConfig(seed=self.config.seed))
            await _json(send, 200, {"config": self.config.to_dict()})
            return
        await _json(send, 405, {"error": "use GET, PUT or DELETE"})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _json(send: Send, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _drop(send: Send) -> None:
    """Drop the connection: promise a body and never deliver it, so the server closes the socket
    and the client sees a broken response (httpx: ``RemoteProtocolError``)."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"1024")],
        }
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": True})
    raise ConnectionAbortedError("injected dropped connection")
