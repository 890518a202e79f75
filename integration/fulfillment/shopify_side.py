"""Shopify Admin GraphQL for fulfillments: read an order's fulfillment orders and fulfillments,
``fulfillmentCreate`` and ``fulfillmentTrackingInfoUpdate`` (reference shopify.md §4.2).

Page sizes keep every query under Shopify's 1,000-point single-query cap (a connection costs
2 + first x node cost): 8 fulfillment orders x 50 line items, 20 fulfillments x 20 lines. An order
beyond that is reported, not silently truncated.
"""

from __future__ import annotations

from typing import Any

from integration.clients.shopify import ShopifyAdmin, gid
from integration.fulfillment.model import (
    ExistingFulfillment,
    FoLine,
    FulfillmentOrder,
    PlannedFulfillment,
    ShopifyOrderState,
    SlipProblem,
    legacy,
)

ORDER_STATE = """query fulfillmentState($id: ID!) {
  order(id: $id) {
    id name displayFulfillmentStatus cancelledAt
    fulfillmentOrders(first: 8) {
      pageInfo { hasNextPage }
      nodes { id status assignedLocation { location { id } }
        lineItems(first: 50) { pageInfo { hasNextPage }
          nodes { id remainingQuantity totalQuantity lineItem { id } } } } }
  }
}"""

ORDER_FULFILLMENTS = """query orderFulfillments($id: ID!) {
  order(id: $id) {
    id displayFulfillmentStatus
    fulfillments(first: 20) { id status location { id } trackingInfo(first: 10) { number }
      fulfillmentLineItems(first: 20) { nodes { quantity lineItem { id } } } }
  }
}"""

FULFILLMENT_CREATE = """mutation fulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}"""

TRACKING_UPDATE = """mutation fulfillmentTrackingInfoUpdate($fulfillmentId: ID!,
    $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput,
      notifyCustomer: $notifyCustomer) {
    fulfillment { id trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}"""


def parse_order_state(order: dict[str, Any]) -> ShopifyOrderState:
    connection = order.get("fulfillmentOrders") or {}
    if (connection.get("pageInfo") or {}).get("hasNextPage"):
        raise SlipProblem(
            "order_too_large",
            f"order {order.get('name')} has more than 8 fulfillment orders",
            {"order": order.get("name")},
        )
    orders = []
    for node in connection.get("nodes") or []:
        items = node.get("lineItems") or {}
        if (items.get("pageInfo") or {}).get("hasNextPage"):
            raise SlipProblem(
                "order_too_large",
                f"a fulfillment order of {order.get('name')} has more than 50 lines",
                {"order": order.get("name")},
            )
        location = ((node.get("assignedLocation") or {}).get("location") or {}).get("id")
        orders.append(
            FulfillmentOrder(
                legacy(node["id"]),
                str(node.get("status")),
                legacy(location),
                tuple(
                    FoLine(
                        legacy(li["id"]),
                        legacy((li.get("lineItem") or {}).get("id")),
                        int(li.get("remainingQuantity") or 0),
                        int(li.get("totalQuantity") or 0),
                    )
                    for li in items.get("nodes") or []
                ),
            )
        )
    return ShopifyOrderState(
        legacy(order["id"]),
        str(order.get("name") or ""),
        str(order.get("displayFulfillmentStatus") or ""),
        bool(order.get("cancelledAt")),
        tuple(orders),
    )


def parse_fulfillments(order: dict[str, Any]) -> tuple[ExistingFulfillment, ...]:
    out = []
    for node in order.get("fulfillments") or []:
        quantities: dict[str, int] = {}
        for line in (node.get("fulfillmentLineItems") or {}).get("nodes") or []:
            key = legacy((line.get("lineItem") or {}).get("id"))
            quantities[key] = quantities.get(key, 0) + int(line.get("quantity") or 0)
        out.append(
            ExistingFulfillment(
                legacy(node["id"]),
                legacy((node.get("location") or {}).get("id")),
                str(node.get("status") or ""),
                tuple(str(t.get("number")) for t in node.get("trackingInfo") or [] if t.get("number")),
                quantities,
            )
        )
    return tuple(out)


class ShopifyFulfillments:
    def __init__(self, admin: ShopifyAdmin, notify_customer: bool) -> None:
        self.admin = admin
        self.notify_customer = notify_customer

    def order_state(self, order_id: str) -> ShopifyOrderState | None:
        data = self.admin.graphql(ORDER_STATE, {"id": gid("Order", order_id)}, expected_cost=850)
        order = data.get("order")
        return parse_order_state(order) if order else None

    def fulfillments(self, order_id: str) -> tuple[tuple[ExistingFulfillment, ...], str]:
        """The order's fulfillments and its display fulfillment status."""
        data = self.admin.graphql(ORDER_FULFILLMENTS, {"id": gid("Order", order_id)}, expected_cost=900)
        order = data.get("order") or {}
        return parse_fulfillments(order), str(order.get("displayFulfillmentStatus") or "")

    def create(self, planned: PlannedFulfillment, tracking: dict[str, object] | None) -> str:
        """``fulfillmentCreate``; sent once (``idempotent=False``): a dropped connection raises
        ShopifyTransient and the caller looks for the fulfillment before trying again."""
        fulfillment: dict[str, Any] = {
            "notifyCustomer": self.notify_customer,
            "lineItemsByFulfillmentOrder": [
                {
                    "fulfillmentOrderId": gid("FulfillmentOrder", fo_id),
                    "fulfillmentOrderLineItems": [
                        {"id": gid("FulfillmentOrderLineItem", fo_line), "quantity": qty}
                        for fo_line, _line_item, qty in lines
                    ],
                }
                for fo_id, lines in planned.orders.items()
            ],
        }
        if tracking:
            fulfillment["trackingInfo"] = tracking
        data = self.admin.graphql(FULFILLMENT_CREATE, {"fulfillment": fulfillment}, idempotent=False)
        result = self.admin.check(data, "fulfillmentCreate")
        return legacy((result.get("fulfillment") or {}).get("id"))

    def update_tracking(self, fulfillment_id: str, tracking: dict[str, object]) -> None:
        # Setting tracking is naturally idempotent (same input, same result): safe to resend.
        data = self.admin.graphql(
            TRACKING_UPDATE,
            {
                "fulfillmentId": gid("Fulfillment", fulfillment_id),
                "trackingInfoInput": tracking,
                "notifyCustomer": self.notify_customer,
            },
        )
        self.admin.check(data, "fulfillmentTrackingInfoUpdate")
