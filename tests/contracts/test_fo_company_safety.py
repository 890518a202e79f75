"""Company-safe F&O: the emulator's service user has default company DAT (as a fresh F&O user),
the app's legal entity is USMF. Every read and keyed write must name its company and go
cross-company, or it finds nothing (reference d365.md §1.3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from integration.clients.d365 import BatchOp, BatchRead, D365Client
from integration.fulfillment.source import PackingSlipSource
from integration.refunds.lookup import find_sales_order, return_order
from sandbox.emulators.d365.app import create_app
from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.serve import RunningServer, start_in_thread


class Recorder(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.urls: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        if request.url.path.endswith("$batch"):
            for line in request.content.decode().splitlines():
                if line.startswith(("GET ", "PATCH ", "DELETE ")):
                    self.urls.append(line.split(" ")[1])
        return self.inner.handle_request(request)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    config = D365EmulatorConfig()
    assert config.default_company == "dat"  # differs from the app's legal entity below
    running = start_in_thread(create_app(config), name="d365-company")
    yield running
    running.stop()


@pytest.fixture
def recorded(server: RunningServer) -> Iterator[tuple[D365Client, Recorder]]:
    recorder = Recorder()
    client = D365Client(server.url, "usmf", lambda: "local-dev-token", transport=recorder)
    yield client, recorder
    client.close()


def _scoped(url: str) -> bool:
    query = parse_qs(urlsplit(url).query)
    path = urlsplit(url).path
    named = "dataAreaId eq 'usmf'" in " ".join(query.get("$filter", [])) or "dataAreaId='usmf'" in path
    return named and query.get("cross-company") == ["true"]


def test_reads_name_the_legal_entity_and_go_cross_company(recorded) -> None:
    client, recorder = recorded
    customers = client.get("CustomersV3", select=["CustomerAccount", "dataAreaId"])
    assert customers and {c["dataAreaId"] for c in customers} == {"usmf"}  # not DAT's (empty) nor USRT's
    assert client.get("CustomersV3", {"CustomerAccount": "US-001"})["CustomerAccount"] == "US-001"
    assert client.find("CustomersV3", "CustomerAccount eq 'US-001'") is not None
    assert list(client.query("ReleasedProductsV2", filter="ItemNumber eq 'D0001'", select=["ItemNumber"]))
    assert find_sales_order(client, "no-such-order") is None
    assert return_order(client, "RF-NONE") == (None, [])
    PackingSlipSource(client).posted_since(datetime(2026, 1, 1))
    client.batch([], [BatchRead("CustomersV3", {"CustomerAccount": "US-001"}), BatchRead("ReleasedProductsV2", top=1)])
    data_urls = [u for u in recorder.urls if "/data/" in u and not u.endswith("$batch")]
    assert data_urls and all(_scoped(u) for u in data_urls), [u for u in data_urls if not _scoped(u)]


def test_keyed_writes_go_cross_company(recorded) -> None:
    client, recorder = recorded
    client.update("CustomersV3", {"CustomerAccount": "US-001"}, {"PrimaryContactPhone": "+1 206 555 0101"})
    client.batch(
        [BatchOp("PATCH", "CustomersV3", {"PrimaryContactPhone": "+1 206 555 0102"}, {"CustomerAccount": "US-001"})]
    )
    assert client.get("CustomersV3", {"CustomerAccount": "US-001"})["PrimaryContactPhone"] == "+1 206 555 0102"
    writes = [u for u in recorder.urls if "CustomersV3(" in u]
    assert writes and all("cross-company=true" in u for u in writes)


def test_without_the_company_a_read_would_find_nothing(server: RunningServer) -> None:
    """The failure this guards against: the integration user's default company is not USMF."""
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer local-dev-token"}) as raw:
        assert raw.get("/data/CustomersV3").json()["value"] == []
