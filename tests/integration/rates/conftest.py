"""The FedEx emulator on 127.0.0.1 and a client pointed at it, with every sent Rate body recorded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from integration.clients.fedex import FedexClient, FedexRetry
from sandbox.emulators.fedex import FedexEmulatorConfig, create_app
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.tests.emulators.fedex.conftest import START, FakeClock

CLIENT_ID, CLIENT_SECRET, ACCOUNT = "local-fedex-client", "local-fedex-secret", "740561073"


class RecordingTransport(httpx.AsyncBaseTransport):
    """Real HTTP, plus a copy of every Rate API body sent (for the schema contract test)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.rate_bodies: list[Any] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/rates/quotes"):
            self.rate_bodies.append(json.loads(request.content))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Stack:
    server: RunningServer
    config: FedexEmulatorConfig
    clock: FakeClock
    transport: RecordingTransport = field(default_factory=RecordingTransport)
    sleeps: list[float] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        return httpx.get(f"{self.server.url}/_emulator/state").json()

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{self.server.url}{path}", **kw)

    def client(self, **kw: Any) -> FedexClient:
        async def sleep(seconds: float) -> None:
            # Retry waits move the emulator's clock instead of the test's wall clock.
            self.sleeps.append(seconds)
            self.clock.advance(seconds)

        kw.setdefault("retry", FedexRetry(attempts=3, base_delay=0.01, max_retry_after=15, deadline=30))
        kw.setdefault("sleep", sleep)
        kw.setdefault("transport", self.transport)
        return FedexClient(
            self.server.url, kw.pop("client_id", CLIENT_ID), kw.pop("client_secret", CLIENT_SECRET), ACCOUNT, **kw
        )


@pytest.fixture
def make_stack() -> Iterator[Callable[..., Stack]]:
    servers: list[RunningServer] = []

    def make(**settings: Any) -> Stack:
        clock = FakeClock(START)
        config = FedexEmulatorConfig(clock=clock, **settings)
        server = start_in_thread(create_app(config), name="fedex-emulator")
        servers.append(server)
        return Stack(server, config, clock)

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
async def stack(make_stack: Callable[..., Stack]) -> AsyncIterator[Stack]:
    yield make_stack()
