"""Customer sync against the F&O emulator and Azurite (servers and admin helpers shared with order sync)."""

from __future__ import annotations

import pytest

from integration.clients.d365 import D365Client
from integration.customers.service import CustomerSync
from sandbox.emulators.serve import RunningServer
from shared import tables
from shared.http import RetryPolicy
from shared.storage import Storage
from tests.integration.orders import conftest as orders
from tests.integration.orders.conftest import Admin

# The emulator servers, operator helpers and table cleaning of the order tests, shared as fixtures here.
fo_server, shop_server, admin, clean_storage = orders.fo_server, orders.shop_server, orders.admin, orders.clean_storage


@pytest.fixture
def customer_storage(clean_storage: Storage) -> Storage:
    table = clean_storage.table(tables.CUSTOMER_SYNC)
    for row in table.query_entities("PartitionKey ne ''", select=["PartitionKey", "RowKey"]):
        table.delete_entity(row["PartitionKey"], row["RowKey"])
    return clean_storage


@pytest.fixture
def customers(customer_storage: Storage, admin: Admin, fo_server: RunningServer) -> CustomerSync:
    policy = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=0.2, deadline=10)
    return CustomerSync(customer_storage, D365Client(fo_server.url, "usmf", lambda: "local-dev-token", policy=policy))
