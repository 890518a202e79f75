"""End to end through the local host with the CRM flow on: signed webhooks -> queue ``crm`` -> a
salesorder with its lines in the Dataverse emulator, then fulfilled; the F&O flow runs beside it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.emulators.dataverse import create_app as create_dataverse
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.host.process import HostProcess
from tests.e2e.conftest import deliver, flows_stack
from tests.integration.crm.test_crm_sync import order_body

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]


@pytest.fixture(scope="module")
def stack(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HostProcess, RunningServer]]:
    dataverse = start_in_thread(create_dataverse(), name="dataverse-emulator")
    settings = {"DATAVERSE_URL": dataverse.url, "DATAVERSE_TOKEN": "local-dataverse-token"}
    try:
        with flows_stack(azurite, tmp_path_factory.mktemp("crm-host"), **settings) as (host, _, _):
            yield host, dataverse
    finally:
        dataverse.stop()


def orders_where(dataverse: RunningServer, predicate: Any, what: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60  # bounded: the host polls its queues every 0.5 s
    while time.monotonic() < deadline:
        found = httpx.get(f"{dataverse.url}/_emulator/rows/salesorders", timeout=10).json()
        if predicate(found):
            return list(found)
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_signed_webhooks_become_a_fulfilled_crm_order(stack: tuple[HostProcess, RunningServer]) -> None:
    host, dataverse = stack
    body = order_body()
    deliver(host, "orders/create", body, api_version=None)
    [order] = orders_where(dataverse, lambda rows: len(rows) == 1, "the CRM order")
    lines = httpx.get(f"{dataverse.url}/_emulator/rows/salesorderdetails", timeout=10).json()
    assert len(lines) == 3 and str(order["totalamount"]) == body["total_price"]
    [contact] = httpx.get(f"{dataverse.url}/_emulator/rows/contacts", timeout=10).json()
    assert order["_customerid_value"] == contact["contactid"]

    shipped = {"id": 1, "status": "success", "tracking_company": "FedEx", "tracking_numbers": ["794600000009"]}
    deliver(
        host, "orders/updated", {**body, "fulfillment_status": "fulfilled", "fulfillments": [shipped]}, api_version=None
    )
    [order] = orders_where(dataverse, lambda rows: rows and rows[0]["statecode"] == 3, "the fulfilled state")
    assert order["statuscode"] == 100001 and order["shop_trackingnumbers"] == "794600000009"
