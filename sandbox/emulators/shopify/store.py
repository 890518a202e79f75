"""In-memory state of the emulated shop: locations, inventory, orders and what hangs off them.

Orders are kept in their REST shape (exactly what a webhook or ``GET orders/<id>.json`` returns);
GraphQL resolvers project them. Inventory keeps ``on_hand`` per item and location and derives
``committed`` from the open fulfillment-order quantities, so ``available = on_hand - committed``
moves like Shopify's when orders are created, fulfilled, cancelled or restocked (reference §4.1).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

QUANTITY_NAMES = (
    "available",
    "on_hand",
    "committed",
    "incoming",
    "reserved",
    "damaged",
    "quality_control",
    "safety_stock",
)


def now_rest() -> str:
    """A REST timestamp (shop time zone UTC), e.g. ``2025-01-23T22:09:39+00:00``."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def to_utc(value: str | None) -> str | None:
    """Any ISO timestamp as GraphQL's ``DateTime`` (UTC, ``Z``); also a sortable key."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def gid(kind: str, value: int | str) -> str:
    return f"gid://shopify/{kind}/{value}"


def parse_gid(value: Any, kind: str | None = None) -> int | None:
    """The numeric id in ``gid://shopify/<kind>/<id>`` (None when malformed or of another kind)."""
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    parts = value[len("gid://shopify/") :].split("?")[0].split("/")
    if len(parts) != 2 or (kind is not None and parts[0] != kind) or not parts[1].isdigit():
        return None
    return int(parts[1])


def gid_kind(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith("gid://shopify/"):
        return None
    return value[len("gid://shopify/") :].split("/")[0]


@dataclass
class Location:
    id: int
    name: str
    active: bool = True


@dataclass
class InventoryItem:
    id: int
    sku: str
    created_at: str
    updated_at: str
    tracked: bool = True


@dataclass
class Level:
    item_id: int
    location_id: int
    on_hand: int
    created_at: str
    updated_at: str


@dataclass
class FOLineItem:
    id: int
    line_item_id: int
    item_id: int | None  # inventory item of the line's SKU (None for SKU-less lines)
    total: int
    remaining: int


@dataclass
class FulfillmentOrder:
    id: int
    order_id: int
    location_id: int
    status: str
    created_at: str
    updated_at: str
    line_items: list[FOLineItem] = field(default_factory=list)


@dataclass
class Fulfillment:
    id: int
    order_id: int
    location_id: int
    name: str
    created_at: str
    updated_at: str
    tracking: list[dict[str, str | None]]
    lines: list[tuple[int, int, int]]  # (fulfillment line item id, order line item id, quantity)
    status: str = "SUCCESS"


@dataclass
class Metafield:
    id: int
    owner_id: str
    namespace: str
    key: str
    value: str
    type: str
    created_at: str
    updated_at: str

    @property
    def compare_digest(self) -> str:
        return base64.b64encode(hashlib.sha256(f"{self.id}:{self.value}".encode()).digest()).decode()


@dataclass
class CarrierService:
    id: int
    name: str
    callback_url: str
    active: bool
    supports_service_discovery: bool


@dataclass
class Subscription:
    id: int
    topic: str  # REST/TOML name ("orders/create"), or "*" for every topic
    uri: str
    api_version: str
    created_at: str
    format: str = "JSON"
    include_fields: list[str] = field(default_factory=list)
    filter: str | None = None


@dataclass
class AdjustmentGroup:
    id: int
    created_at: str
    reason: str
    reference_document_uri: str | None
    changes: list[dict[str, Any]]


class Store:
    def __init__(self, id_start: int = 7_000_000_000_000) -> None:
        self._ids = itertools.count(id_start)
        self.orders: dict[int, dict[str, Any]] = {}
        self.fulfillment_orders: dict[int, FulfillmentOrder] = {}
        self.order_fulfillment_orders: dict[int, list[int]] = {}
        self.fulfillments: dict[int, Fulfillment] = {}
        self.order_fulfillments: dict[int, list[Fulfillment]] = {}
        # owner gid -> (namespace, key) -> metafield
        self.metafields: dict[str, dict[tuple[str, str], Metafield]] = {}
        self.locations: dict[int, Location] = {}
        self.items: dict[int, InventoryItem] = {}
        self.items_by_sku: dict[str, int] = {}
        self.levels: dict[tuple[int, int], Level] = {}
        self.item_levels: dict[int, dict[int, Level]] = {}
        self.location_levels: dict[int, dict[int, Level]] = {}
        self.committed: dict[tuple[int, int], int] = {}
        self.carrier_services: dict[int, CarrierService] = {}
        self.subscriptions: dict[int, Subscription] = {}
        self.adjustment_groups: dict[int, AdjustmentGroup] = {}
        # @idempotent(key:) -> (fingerprint of the operation's arguments, the payload returned)
        self.idempotency: dict[str, tuple[str, Any]] = {}

    def next_id(self) -> int:
        return next(self._ids)

    # Locations and inventory ------------------------------------------------------------------

    def add_location(self, name: str, location_id: int | None = None) -> Location:
        location = Location(id=location_id or self.next_id(), name=name)
        self.locations[location.id] = location
        return location

    def default_location(self) -> Location:
        return next(iter(self.locations.values()))

    def add_item(self, sku: str, item_id: int | None = None, on_hand: int | None = None) -> InventoryItem:
        """An inventory item for ``sku`` (stocked at every location when ``on_hand`` is given)."""
        if sku in self.items_by_sku:
            return self.items[self.items_by_sku[sku]]
        stamp = now_rest()
        item = InventoryItem(id=item_id or self.next_id(), sku=sku, created_at=stamp, updated_at=stamp)
        self.items[item.id] = item
        if sku:
            self.items_by_sku[sku] = item.id
        if on_hand is not None:
            for location in self.locations.values():
                self.stock(item.id, location.id, on_hand)
        return item

    def stock(self, item_id: int, location_id: int, on_hand: int = 0) -> Level:
        level = self.levels.get((item_id, location_id))
        if level is None:
            stamp = now_rest()
            level = Level(item_id, location_id, on_hand, stamp, stamp)
            self.levels[(item_id, location_id)] = level
            self.item_levels.setdefault(item_id, {})[location_id] = level
            self.location_levels.setdefault(location_id, {})[item_id] = level
        return level

    def quantities(self, level: Level) -> dict[str, int]:
        committed = self.committed.get((level.item_id, level.location_id), 0)
        values = dict.fromkeys(QUANTITY_NAMES, 0)
        values.update(on_hand=level.on_hand, committed=committed, available=level.on_hand - committed)
        return values

    def set_quantity(self, level: Level, name: str, quantity: int) -> int:
        """Set ``available`` or ``on_hand`` absolutely; returns the delta applied to ``name``."""
        before = self.quantities(level)[name]
        level.on_hand += quantity - before  # both names move on_hand; committed is derived
        level.updated_at = now_rest()
        return quantity - before

    def commit(self, item_id: int | None, location_id: int, delta: int) -> None:
        if item_id is None or delta == 0:
            return
        key = (item_id, location_id)
        self.committed[key] = self.committed.get(key, 0) + delta

    # Metafields ------------------------------------------------------------------------------

    def set_metafield(self, owner_id: str, namespace: str, key: str, value: str, type_: str) -> Metafield:
        stamp = now_rest()
        existing = self.get_metafield(owner_id, namespace, key)
        if existing is not None:
            existing.value, existing.type, existing.updated_at = value, type_ or existing.type, stamp
            return existing
        metafield = Metafield(self.next_id(), owner_id, namespace, key, value, type_, stamp, stamp)
        self.metafields.setdefault(owner_id, {})[(namespace, key)] = metafield
        return metafield

    def get_metafield(self, owner_id: str, namespace: str, key: str) -> Metafield | None:
        return self.metafields.get(owner_id, {}).get((namespace, key))

    def metafields_of(self, owner_id: str) -> list[Metafield]:
        return list(self.metafields.get(owner_id, {}).values())

    def add_fulfillment(self, fulfillment: Fulfillment) -> None:
        self.fulfillments[fulfillment.id] = fulfillment
        self.order_fulfillments.setdefault(fulfillment.order_id, []).append(fulfillment)

    def fulfillments_of(self, order_id: int) -> list[Fulfillment]:
        return self.order_fulfillments.get(order_id, [])

    # Subscriptions ---------------------------------------------------------------------------

    def subscribers(self, topic: str) -> list[Subscription]:
        return [s for s in self.subscriptions.values() if s.topic in (topic, "*")]
