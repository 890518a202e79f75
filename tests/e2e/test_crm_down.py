"""End to end, CRM down: with DATAVERSE_URL pointing at nothing, F&O order sync goes on and the CRM
event waits (re-queued with a visibility timeout) instead of holding a worker thread.

Its own module on purpose: a module-scoped host of another module would compete for the same Azurite
queues and take this test's messages."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from shared import queues
from shared.storage import Storage
from tests.e2e.conftest import deliver, flows_stack
from tests.integration.crm.test_crm_sync import order_body

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]


def test_fo_order_sync_goes_on_while_dataverse_is_down(azurite: str, tmp_path: Any) -> None:
    settings = {"DATAVERSE_URL": "http://127.0.0.1:9", "DATAVERSE_TOKEN": "t", "D365_ORDER_NUMBER_PREFIX": "CRMDOWN"}
    with flows_stack(azurite, tmp_path, **settings) as (host, fo_url, shop_url):
        unique = int(time.time() * 1000)
        body_in = order_body(customer_id=unique % 10**9) | {"order_number": 4712}
        order = httpx.post(
            f"{shop_url}/_emulator/orders", params={"webhook": "false"}, json={"order": body_in}, timeout=10
        ).json()["order"]
        deliver(host, "orders/create", order, api_version=None)
        host.wait_for(lambda text: "order.synced" in text and "CRMDOWN4712" in text, timeout=120, what="the F&O order")
        host.wait_for(
            lambda text: "crm.wait" in text and "topic=orders/create" in text,
            what="the CRM event waiting for Dataverse",
        )
        log = host.text()
        assert "order.synced" in log and "crm.wait" in log  # F&O went on; CRM waits instead of failing
    Storage.from_setting("S", {"S": azurite}).queue(queues.CRM).clear_messages()  # the waiting CRM events
