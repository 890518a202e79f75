"""Fixtures for the F&O emulator contract tests: the emulator on a free 127.0.0.1 port (uvicorn in
a thread), reset to its demo data before every test, and an authenticated httpx client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sandbox import SAMPLES as KIT
from sandbox.emulators.d365 import D365EmulatorConfig, create_app
from sandbox.emulators.serve import RunningServer, start_in_thread

SAMPLES = KIT / "d365"
TOKEN = "local-dev-token"
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "OData-Version": "4.0",
    "OData-MaxVersion": "4.0",
    "Accept": "application/json;odata.metadata=minimal",
}


def sample_text(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def sample_json(name: str) -> Any:
    return json.loads(sample_text(name))


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    # The emulator's own OData tests use usmf as the service user's default company (the app's
    # tests run with the emulator default, dat, to prove the app names its company itself).
    running = start_in_thread(create_app(D365EmulatorConfig(default_company="usmf")), name="d365-emulator")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(server: RunningServer) -> Iterator[httpx.Client]:
    # One client per module: creating an httpx.Client costs ~0.2 s (TLS context).
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=10) as c:
        yield c


@pytest.fixture
def client(http: httpx.Client) -> httpx.Client:
    """The shared client, with the emulator back at its demo data."""
    assert http.post("/_emulator/reset").status_code == 200
    http.delete("/_emulator/faults")
    return http


@pytest.fixture
def start() -> Iterator[Callable[[D365EmulatorConfig], RunningServer]]:
    """Start an emulator with a specific configuration (stopped at the end of the test)."""
    started: list[RunningServer] = []

    def _start(config: D365EmulatorConfig) -> RunningServer:
        running = start_in_thread(create_app(config), name="d365-emulator-custom")
        started.append(running)
        return running

    yield _start
    for running in started:
        running.stop()


def inner_message(response: httpx.Response) -> str:
    return str(response.json()["error"]["innererror"]["message"])


def new_order(
    client: httpx.Client,
    number: str | None = None,
    customer: str = "US-002",
    lines: list[dict[str, Any]] | None = None,
    **header: Any,
) -> dict[str, Any]:
    """Create a sales order with lines through OData; returns {"header": ..., "lines": [...]}."""
    body: dict[str, Any] = {"OrderingCustomerAccountNumber": customer, "DefaultShippingWarehouseId": "11", **header}
    if number:
        body["SalesOrderNumber"] = number
    r = client.post("/data/SalesOrderHeadersV2", json=body)
    assert r.status_code == 201, r.text
    order = r.json()
    created = []
    for line in lines or [{"ItemNumber": "IPOD2008GREEN", "OrderedSalesQuantity": 2, "SalesPrice": "199.00"}]:
        r = client.post("/data/SalesOrderLines", json={"SalesOrderNumber": order["SalesOrderNumber"], **line})
        assert r.status_code == 201, r.text
        created.append(r.json())
    return {"header": order, "lines": created}
