"""Reads from the two systems: F&O on-hand per warehouse and Shopify's locations.

F&O: ``WarehousesOnHandV2`` filtered to the legal entity and the mapped warehouses, only the key
and measure fields, paged through ``@odata.nextLink`` (the client retries 429 honouring
``Retry-After``). The entity has no modified-date field, so F&O cannot filter to "changed since
the last run": every run reads the mapped warehouses (about one page per 10,000 rows) and the
ledger diff decides what changed; that keeps Shopify calls proportional to real changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from integration.clients.d365 import D365Client, odata_literal
from integration.clients.shopify import ShopifyAdmin, gid
from integration.inventory.config import InventoryConfig
from integration.inventory.quantities import OnHand, select_fields
from shared.settings import SettingsError

ENTITY_SET = "WarehousesOnHandV2"

LOCATIONS = """query inventoryLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: true) {
    nodes { id name isActive } pageInfo { hasNextPage endCursor } } }"""


def on_hand_filter(config: InventoryConfig, legal_entity: str) -> str:
    parts = []
    for location in config.locations:
        for wh in location.warehouses:
            term = f"InventoryWarehouseId eq {odata_literal(wh.warehouse)}"
            if wh.site:
                term = f"(InventorySiteId eq {odata_literal(wh.site)} and {term})"
            parts.append(term)
    # F&O supports neither 'in' nor 'has' (reference d365.md §1.4): an 'or' chain it is.
    return f"dataAreaId eq {odata_literal(legal_entity)} and ({' or '.join(parts)})"


def read_on_hand(
    d365: D365Client,
    config: InventoryConfig,
    legal_entity: str,
    on_page: Callable[[], None] | None = None,
    page_size_hint: int = 10_000,
) -> Iterator[OnHand]:
    """Every on-hand row of the mapped warehouses. ``on_page`` runs about once per server page
    (the lease renewal)."""
    rows = d365.query(
        ENTITY_SET,
        filter=on_hand_filter(config, legal_entity),
        select=select_fields(config.measure),
        cross_company=True,
    )
    for count, row in enumerate(rows, start=1):
        yield OnHand.from_row(row, config.measure)
        if on_page is not None and count % page_size_hint == 0:
            on_page()


def resolve_locations(shopify: ShopifyAdmin, config: InventoryConfig) -> dict[str, str]:
    """Config location (gid, numeric id or name) -> Location gid."""
    resolved: dict[str, str] = {}
    names: list[str] = []
    for location in config.locations:
        ref = location.shopify_location.strip()
        if ref.startswith("gid://"):
            resolved[location.shopify_location] = ref
        elif ref.isdigit():
            resolved[location.shopify_location] = gid("Location", ref)
        else:
            names.append(location.shopify_location)
    if names:
        by_name: dict[str, str] = {}
        after = None
        # requested cost 2 + first must fit the bucket; 50 until the first answer tells its real size
        first = max(1, min(50, int(shopify.bucket.maximum) - 2))
        while True:
            page = shopify.graphql(LOCATIONS, {"first": first, "after": after}, expected_cost=2 + first)["locations"]
            for node in page["nodes"]:
                by_name.setdefault(node["name"].strip().casefold(), node["id"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        missing = [n for n in names if n.strip().casefold() not in by_name]
        if missing:
            raise SettingsError(f"inventory config: Shopify has no location named {', '.join(map(repr, missing))}")
        for name in names:
            resolved[name] = by_name[name.strip().casefold()]
    return resolved
