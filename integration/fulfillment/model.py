"""The fulfillment sync's plain typed objects: an F&O packing slip as read from OData, the Shopify
order's fulfillment orders and fulfillments as read from Admin GraphQL, and the planned Shopify
fulfillments (one per location) a packing slip becomes.

Shopify ids are kept as legacy numeric strings (``"123"``, not ``gid://shopify/LineItem/123``) so
the ids stored by order sync, REST bodies and GraphQL answers compare equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


def legacy(value: Any) -> str:
    """``gid://shopify/LineItem/123`` or ``123`` -> ``"123"``."""
    return str(value).rsplit("/", 1)[-1] if value not in (None, "") else ""


@dataclass(frozen=True)
class SlipLine:
    lot_id: str  # F&O InventTransId = the sales line's InventoryLotId
    item_number: str
    quantity: Decimal


@dataclass(frozen=True)
class SlipRef:
    """Which packing slip: F&O's packing slip ids are unique per legal entity, the sales order
    number keeps keys readable and lets the tracking entity be joined."""

    sales_order: str
    packing_slip: str

    @property
    def entity_id(self) -> str:
        # The exceptions/audit id of a packing slip (ExceptionStore cleans it for Table keys).
        return f"{self.sales_order}:{self.packing_slip}"


@dataclass(frozen=True)
class PackingSlip:
    ref: SlipRef
    delivery_date: datetime | None
    created_on: datetime | None
    delivery_mode: str
    lines: tuple[SlipLine, ...]
    tracking_numbers: tuple[str, ...]
    tracking_urls: tuple[str, ...]  # "" where F&O has no URL for that number


@dataclass(frozen=True)
class FoLine:
    id: str  # FulfillmentOrderLineItem legacy id
    line_item_id: str
    remaining: int
    total: int


@dataclass(frozen=True)
class FulfillmentOrder:
    id: str
    status: str
    location_id: str
    lines: tuple[FoLine, ...]

    @property
    def is_open(self) -> bool:
        return self.status in ("OPEN", "IN_PROGRESS")


@dataclass(frozen=True)
class ExistingFulfillment:
    id: str
    location_id: str
    status: str
    tracking_numbers: tuple[str, ...]
    quantities: dict[str, int]  # line item id -> quantity


@dataclass(frozen=True)
class ShopifyOrderState:
    order_id: str
    name: str
    display_status: str
    cancelled: bool
    fulfillment_orders: tuple[FulfillmentOrder, ...]
    fulfillments: tuple[ExistingFulfillment, ...] = ()


@dataclass
class PlannedFulfillment:
    """One ``fulfillmentCreate``: fulfillment orders of ONE location (Shopify's rule), with the
    fulfillment-order line items and quantities; ``fulfillment_id`` once Shopify has it."""

    location_id: str
    # fulfillment order id -> [(fulfillment order line item id, line item id, quantity)]
    orders: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    fulfillment_id: str = ""

    @property
    def quantities(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for lines in self.orders.values():
            for _fo_line, line_item, quantity in lines:
                out[line_item] = out.get(line_item, 0) + quantity
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "location_id": self.location_id,
            "fulfillment_id": self.fulfillment_id,
            "orders": {fo: [list(x) for x in lines] for fo, lines in self.orders.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlannedFulfillment:
        return cls(
            str(data["location_id"]),
            {
                str(fo): [(str(a), str(b), int(c)) for a, b, c in lines]
                for fo, lines in (data.get("orders") or {}).items()
            },
            str(data.get("fulfillment_id") or ""),
        )


@dataclass(frozen=True)
class OverShippedLine:
    line_item_id: str
    shipped: int
    open_quantity: int


class SlipProblem(Exception):
    """A packing slip the flow cannot apply as it is: becomes an exception with a reason code and the
    numbers, and is retried by later runs (or an ops retry) once the cause is fixed."""

    def __init__(self, reason_code: str, message: str, values: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.values = values or {}
