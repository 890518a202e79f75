"""The order hot path: storage calls per order for a known customer, and the short-lived caches of
mappings and customer links (a retry always reads them fresh)."""

from __future__ import annotations

import pytest

from integration.mappings import load_mappings
from integration.orders.customer_match import CustomerLinks
from integration.sku_registry import SkuEntry, SkuRegistry
from shared import queues, tables
from shared import storage as storage_module
from shared.storage import Storage
from tests.integration.orders.conftest import good_order

pytestmark = pytest.mark.azurite


def _calls() -> dict[str, int]:
    # This thread's calls: the by-day audit writer flushes on its own thread, off the order's path.
    return dict(storage_module.calls_in_this_thread())


def _delta(before: dict[str, int]) -> dict[str, int]:
    return {k: v - before[k] for k, v in storage_module.calls_in_this_thread().items()}


def test_mappings_are_read_once_per_window_and_fresh_on_demand(clean_storage: Storage) -> None:
    load_mappings(clean_storage)
    before = _calls()
    load_mappings(clean_storage)
    assert sum(_delta(before).values()) == 0  # served from the cache
    load_mappings(clean_storage, fresh=True)
    assert _delta(before)["table"] == 1


def test_customer_link_is_cached_and_forgotten_with_the_link(clean_storage: Storage) -> None:
    links = CustomerLinks(clean_storage)
    links.put("customer:1", "C-1", "created")
    before = _calls()
    assert links.get("customer:1") == "C-1"
    assert sum(_delta(before).values()) == 0
    clean_storage.table(tables.CUSTOMER_LINKS).delete_entity("shopify", "customer:1")  # changed by another process
    assert links.get("customer:1") == "C-1"  # within the window: the cached link
    assert links.get("customer:1", fresh=True) is None
    links.put("customer:1", "C-2", "created")
    links.forget("customer:1")
    assert links.get("customer:1") is None


def test_a_mapping_fixed_elsewhere_takes_effect_on_the_retry(sync, admin) -> None:
    order = admin.shop_order(good_order(shipping=("Carrier Pigeon", "10.00")))
    assert sync.handle("orders/create", order).status == "blocked"
    # Another instance (the ops API) writes the override: this process's cache does not know it.
    sync.storage.table(tables.MAPPINGS).upsert_entity(
        {"PartitionKey": "shipping_methods", "RowKey": "carrier pigeon", "Key": "Carrier Pigeon", "Value": "STANDARD"}
    )
    assert sync.handle(queues.ORDER_RETRY, None, str(order["id"])).status == "created"


def test_storage_calls_for_a_known_customers_order(sync, admin) -> None:
    sync.handle("orders/create", admin.shop_order(good_order()))  # links the customer, caches products
    second = admin.shop_order(good_order())
    before = _calls()
    assert sync.handle("orders/create", second).status == "created"
    used = _delta(before)
    print(f"\nstorage calls for a known customer's order: {used}")
    assert sum(used.values()) <= 5  # lease, record read, ONE record write, one audit row, lease release


def test_a_sku_registered_by_another_process_does_not_block_its_first_order(sync, admin, azurite) -> None:
    """The registry's "not found" is cached for the window; a first attempt blocked on UNKNOWN_SKU reads it
    again before blocking, so a product the catalog sync registered a moment ago sells at once."""
    sku = "NEW-CATALOG-SKU"
    first = admin.shop_order(good_order(lines=[(sku, 1, "199.00", "0.00")]))
    assert sync.handle("orders/create", first).status == "blocked"  # nobody knows the SKU yet
    other_process = Storage.from_setting("S", {"S": azurite})  # its own cache, as another instance has
    SkuRegistry(other_process).put_many({sku: SkuEntry("IPOD2008GREEN")})
    second = admin.shop_order(good_order(lines=[(sku, 1, "199.00", "0.00")]))
    assert sync.handle("orders/create", second).status == "created"
