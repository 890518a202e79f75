"""Fixtures for the Shopify emulator tests: a real server on 127.0.0.1 (uvicorn in a thread), a
hand-moved clock for the rate-limit buckets, and a small webhook receiver."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox import SAMPLES as KIT
from sandbox.emulators.serve import start_in_thread
from sandbox.emulators.shopify.app import create_app
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig

SAMPLES = KIT / "shopify"
TOKEN = "shpat_local_dev"
SECRET = "shpss_local_dev"
VERSION = "2026-10"


def sample(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / name).read_text())


class FakeClock:
    """Monotonic time that only moves when a test says so (no timed assertions)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Shop:
    url: str
    client: httpx.Client
    clock: FakeClock
    app: Any

    def gql(
        self, query: str, variables: dict[str, Any] | None = None, version: str = VERSION, **kwargs: Any
    ) -> dict[str, Any]:
        response = self.client.post(
            f"/admin/api/{version}/graphql.json", json={"query": query, "variables": variables or {}}, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None, version: str = VERSION) -> dict[str, Any]:
        body = self.gql(query, variables, version)
        assert "errors" not in body, body
        return body["data"]

    def create_order(self, order: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
        response = self.client.post(
            "/_emulator/orders", json=order or sample("shopify_python_api__fixtures__order.json"), params=params
        )
        assert response.status_code == 201, response.text
        return response.json()

    @property
    def emulator(self) -> Any:
        return self.app.app.state.emulator


@pytest.fixture
def make_shop() -> Iterator[Callable[..., Shop]]:
    servers, clients = [], []

    def make(**overrides: Any) -> Shop:
        clock = FakeClock()
        app = create_app(ShopifyEmulatorConfig(clock=clock, **{"legacy_rest": True, **overrides}))
        server = start_in_thread(app, name="shopify-emulator")
        servers.append(server)
        client = httpx.Client(base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10)
        clients.append(client)
        return Shop(server.url, client, clock, app)

    yield make
    for client in clients:
        client.close()
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def _shared_shop() -> Iterator[Shop]:
    clock = FakeClock()
    app = create_app(ShopifyEmulatorConfig(clock=clock, legacy_rest=True))
    server = start_in_thread(app, name="shopify-emulator")
    with httpx.Client(base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as client:
        yield Shop(server.url, client, clock, app)
    server.stop()


@pytest.fixture
def shop(_shared_shop: Shop) -> Shop:
    """A default-config emulator, reset for each test (one server per module keeps the suite fast)."""
    _shared_shop.client.delete("/_emulator/faults")
    _shared_shop.client.post("/_emulator/reset")
    return _shared_shop


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    status: int = 200

    def topics(self) -> list[str]:
        return [headers["x-shopify-topic"] for headers, _ in self.received]


@pytest.fixture(scope="module")
def _shared_receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    async def hook(request: Request) -> JSONResponse:
        state.received.append((dict(request.headers), await request.body()))
        return JSONResponse({"ok": True}, status_code=state.status)

    server = start_in_thread(
        Starlette(routes=[Route("/api/shopify/webhooks", hook, methods=["POST"])]), name="webhook-receiver"
    )
    state.url = f"{server.url}/api/shopify/webhooks"
    yield state
    server.stop()


@pytest.fixture
def receiver(_shared_receiver: Receiver) -> Receiver:
    """A stand-in for the integration's webhook endpoint that records every delivery."""
    _shared_receiver.received.clear()
    _shared_receiver.status = 200
    return _shared_receiver
