"""Object-type resolvers: project stored REST orders, fulfillment orders and inventory into the
GraphQL shapes (camelCase fields, GIDs, UTC ``DateTime``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.emulators.shopify.orders import display_fulfillment_status, fulfillment_orders_of, parse_tags
from sandbox.emulators.shopify.resolvers import QUERY, currency, money_bag, need_id, store_of, topic_enum
from sandbox.emulators.shopify.search import paginate
from sandbox.emulators.shopify.store import (
    QUANTITY_NAMES,
    AdjustmentGroup,
    CarrierService,
    FOLineItem,
    Fulfillment,
    FulfillmentOrder,
    InventoryItem,
    Level,
    Location,
    Metafield,
    Store,
    Subscription,
    gid,
    parse_gid,
    to_utc,
)

Info = GraphQLResolveInfo


@dataclass
class FOLIView:
    fo: FulfillmentOrder
    li: FOLineItem


@dataclass
class FLIView:
    fulfillment: Fulfillment
    fli_id: int
    line_item_id: int
    quantity: int


def _line(store: Store, order_id: int, line_item_id: int) -> dict[str, Any]:
    return next(li for li in store.orders[order_id]["line_items"] if li["id"] == line_item_id)


def _levels(store: Store, item_id: int | None = None, location_id: int | None = None) -> list[Level]:
    if item_id is not None:
        return list(store.item_levels.get(item_id, {}).values())
    return list(store.location_levels.get(location_id or -1, {}).values())


def _quantities(level: Level, info: Info, names: list[str]) -> list[dict[str, Any]]:
    unknown = [n for n in names if n not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(
            f"Invalid quantity name(s): {', '.join(unknown)}. Valid names are: {', '.join(QUANTITY_NAMES)}."
        )
    values = store_of(info).quantities(level)
    base = f"gid://shopify/InventoryQuantity/{level.location_id}?inventory_item_id={level.item_id}"
    return [
        {"id": f"{base}&name={n}", "name": n, "quantity": values[n], "updatedAt": to_utc(level.updated_at)}
        for n in names
    ]


def _totals_refunded(refund: dict[str, Any], shop_currency: str) -> dict[str, Any]:
    total = sum(
        (
            Decimal(str(t.get("amount") or "0"))
            for t in refund.get("transactions", [])
            if t.get("kind") == "refund" and t.get("status") == "success"
        ),
        Decimal(0),
    )
    money = {"amount": f"{total:.2f}", "currencyCode": currency(shop_currency)}
    return {"shopMoney": money, "presentmentMoney": money}


def _metafields(info: Info, owner: str, args: dict[str, Any]) -> dict[str, Any]:
    found = [
        m
        for m in store_of(info).metafields_of(owner)
        if (not args.get("namespace") or m.namespace == args["namespace"])
        and (not args.get("keys") or f"{m.namespace}.{m.key}" in args["keys"])
    ]
    return paginate(found, args, lambda m: (m.id,))


def _lines_connection(order: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    position = {line["id"]: index for index, line in enumerate(order["line_items"])}
    return paginate(order["line_items"], args, lambda li: (position[li["id"]],), reverse=bool(args.get("reverse")))


def _location_of(info: Info, location_id: int) -> Location | None:
    return store_of(info).locations.get(location_id)


TYPES: dict[str, dict[str, Any]] = {
    "QueryRoot": QUERY,
    "Order": {
        "id": lambda o, _i: gid("Order", o["id"]),
        "legacyResourceId": lambda o, _i: str(o["id"]),
        "tags": lambda o, _i: parse_tags(o.get("tags")),
        "createdAt": lambda o, _i: to_utc(o.get("created_at")),
        "updatedAt": lambda o, _i: to_utc(o.get("updated_at")),
        "processedAt": lambda o, _i: to_utc(o.get("processed_at") or o.get("created_at")),
        "cancelledAt": lambda o, _i: to_utc(o.get("cancelled_at")),
        "closedAt": lambda o, _i: to_utc(o.get("closed_at")),
        "cancelReason": lambda o, _i: (o.get("cancel_reason") or "").upper() or None,
        "closed": lambda o, _i: bool(o.get("closed_at")),
        "test": lambda o, _i: bool(o.get("test")),
        "displayFulfillmentStatus": lambda o, i: display_fulfillment_status(store_of(i), o),
        "displayFinancialStatus": lambda o, _i: (o.get("financial_status") or "").upper() or None,
        "currencyCode": lambda o, i: currency(o.get("currency") or i.context.config.currency_code),
        "presentmentCurrencyCode": lambda o, i: currency(o.get("presentment_currency") or o.get("currency")),
        "totalPriceSet": lambda o, i: money_bag(o, "total_price", o.get("currency")) or _zero(o),
        "subtotalPriceSet": lambda o, i: money_bag(o, "subtotal_price", o.get("currency")),
        "totalTaxSet": lambda o, i: money_bag(o, "total_tax", o.get("currency")),
        "totalShippingPriceSet": lambda o, i: money_bag(o, "total_shipping_price", o.get("currency")) or _zero(o),
        "currentTotalPriceSet": lambda o, i: (
            money_bag(o, "current_total_price", o.get("currency"))
            or money_bag(o, "total_price", o.get("currency"))
            or _zero(o)
        ),
        "metafield": lambda o, i, key, namespace=None: store_of(i).get_metafield(
            gid("Order", o["id"]), namespace or "$app", key
        ),
        "metafields": lambda o, i, **a: _metafields(i, gid("Order", o["id"]), a),
        "lineItems": lambda o, _i, **a: _lines_connection(o, a),
        "fulfillmentOrders": lambda o, i, **a: paginate(
            fulfillment_orders_of(store_of(i), o["id"]), a, lambda fo: (fo.id,), reverse=bool(a.get("reverse"))
        ),
        "fulfillments": lambda o, i, first=None: store_of(i).fulfillments_of(o["id"])[:first],
        "refunds": lambda o, _i, first=None: list(o.get("refunds") or [])[:first],
    },
    "LineItem": {
        "id": lambda li, _i: gid("LineItem", li["id"]),
        "title": lambda li, _i: li.get("title") or li.get("name") or "",
        "name": lambda li, _i: li.get("name") or li.get("title") or "",
        "variantTitle": lambda li, _i: li.get("variant_title"),
        "currentQuantity": lambda li, _i: int(li.get("current_quantity", li["quantity"])),
        "fulfillableQuantity": lambda li, _i: int(li.get("fulfillable_quantity") or 0),
        "unfulfilledQuantity": lambda li, _i: int(li.get("fulfillable_quantity") or 0),
        "refundableQuantity": lambda li, _i: int(li.get("current_quantity", li["quantity"])),
        "requiresShipping": lambda li, _i: bool(li.get("requires_shipping", True)),
        "originalUnitPriceSet": lambda li, i: money_bag(li, "price", i.context.config.currency_code),
    },
    "Metafield": {
        "id": lambda m, _i: gid("Metafield", m.id),
        "ownerType": lambda m, _i: (m.owner_id.split("/")[3] if m.owner_id.count("/") >= 3 else "SHOP").upper(),
        "compareDigest": lambda m, _i: m.compare_digest,
        "createdAt": lambda m, _i: to_utc(m.created_at),
        "updatedAt": lambda m, _i: to_utc(m.updated_at),
    },
    "FulfillmentOrder": {
        "id": lambda fo, _i: gid("FulfillmentOrder", fo.id),
        "createdAt": lambda fo, _i: to_utc(fo.created_at),
        "updatedAt": lambda fo, _i: to_utc(fo.updated_at),
        "orderId": lambda fo, _i: gid("Order", fo.order_id),
        "orderName": lambda fo, i: store_of(i).orders[fo.order_id]["name"],
        "order": lambda fo, i: store_of(i).orders[fo.order_id],
        "assignedLocation": lambda fo, i: {
            "location": _location_of(i, fo.location_id),
            "name": getattr(_location_of(i, fo.location_id), "name", ""),
        },
        "lineItems": lambda fo, _i, **a: paginate(
            [FOLIView(fo, li) for li in fo.line_items], a, lambda v: (v.li.id,), reverse=bool(a.get("reverse"))
        ),
    },
    "FulfillmentOrderLineItem": {
        "id": lambda v, _i: gid("FulfillmentOrderLineItem", v.li.id),
        "lineItem": lambda v, i: _line(store_of(i), v.fo.order_id, v.li.line_item_id),
        "sku": lambda v, i: _line(store_of(i), v.fo.order_id, v.li.line_item_id).get("sku"),
        "productTitle": lambda v, i: _line(store_of(i), v.fo.order_id, v.li.line_item_id).get("title") or "",
        "totalQuantity": lambda v, _i: v.li.total,
        "remainingQuantity": lambda v, _i: v.li.remaining,
        "inventoryItemId": lambda v, _i: gid("InventoryItem", v.li.item_id) if v.li.item_id else None,
    },
    "Fulfillment": {
        "id": lambda f, _i: gid("Fulfillment", f.id),
        "legacyResourceId": lambda f, _i: str(f.id),
        "createdAt": lambda f, _i: to_utc(f.created_at),
        "updatedAt": lambda f, _i: to_utc(f.updated_at),
        "totalQuantity": lambda f, _i: sum(q for _, _, q in f.lines),
        "order": lambda f, i: store_of(i).orders[f.order_id],
        "location": lambda f, i: _location_of(i, f.location_id),
        "trackingInfo": lambda f, _i, first=None: f.tracking[:first],
        "fulfillmentLineItems": lambda f, _i, **a: paginate(
            [FLIView(f, *line) for line in f.lines], a, lambda v: (v.fli_id,)
        ),
    },
    "FulfillmentLineItem": {
        "id": lambda v, _i: gid("FulfillmentLineItem", v.fli_id),
        "lineItem": lambda v, i: _line(store_of(i), v.fulfillment.order_id, v.line_item_id),
    },
    "Refund": {
        "id": lambda r, _i: gid("Refund", r["id"]),
        "legacyResourceId": lambda r, _i: str(r["id"]),
        "createdAt": lambda r, _i: to_utc(r.get("created_at")),
        "totalRefundedSet": lambda r, i: _totals_refunded(r, i.context.config.currency_code),
    },
    "Location": {
        "id": lambda loc, _i: gid("Location", loc.id),
        "legacyResourceId": lambda loc, _i: str(loc.id),
        "isActive": lambda loc, _i: loc.active,
        "fulfillsOnlineOrders": lambda loc, _i: True,
        "inventoryLevel": lambda loc, i, inventoryItemId: store_of(i).levels.get(
            (need_id(inventoryItemId, "InventoryItem"), loc.id)
        ),
        "inventoryLevels": lambda loc, i, **a: paginate(
            _levels(store_of(i), location_id=loc.id), a, lambda lv: (lv.item_id,)
        ),
    },
    "InventoryItem": {
        "id": lambda it, _i: gid("InventoryItem", it.id),
        "legacyResourceId": lambda it, _i: str(it.id),
        "createdAt": lambda it, _i: to_utc(it.created_at),
        "updatedAt": lambda it, _i: to_utc(it.updated_at),
        "inventoryLevel": lambda it, i, locationId: store_of(i).levels.get((it.id, need_id(locationId, "Location"))),
        "inventoryLevels": lambda it, i, **a: paginate(
            _levels(store_of(i), item_id=it.id), a, lambda lv: (lv.location_id,)
        ),
    },
    "InventoryLevel": {
        "id": lambda lv, _i: f"gid://shopify/InventoryLevel/{lv.location_id}?inventory_item_id={lv.item_id}",
        "item": lambda lv, i: store_of(i).items[lv.item_id],
        "location": lambda lv, i: store_of(i).locations[lv.location_id],
        "canDeactivate": lambda lv, _i: True,
        "createdAt": lambda lv, _i: to_utc(lv.created_at),
        "updatedAt": lambda lv, _i: to_utc(lv.updated_at),
        "quantities": lambda lv, i, names: _quantities(lv, i, names),
    },
    "InventoryAdjustmentGroup": {
        "id": lambda g, _i: gid("InventoryAdjustmentGroup", g.id),
        "createdAt": lambda g, _i: to_utc(g.created_at),
        "referenceDocumentUri": lambda g, _i: g.reference_document_uri,
        "changes": lambda g, i, **a: _changes(g, i, a),
    },
    "DeliveryCarrierService": {
        "id": lambda c, _i: gid("DeliveryCarrierService", c.id),
        "formattedName": lambda c, _i: c.name,
        "callbackUrl": lambda c, _i: c.callback_url,
        "supportsServiceDiscovery": lambda c, _i: c.supports_service_discovery,
    },
    "WebhookSubscription": {
        "id": lambda s, _i: gid("WebhookSubscription", s.id),
        "topic": lambda s, _i: topic_enum(s.topic),
        "callbackUrl": lambda s, _i: s.uri if s.uri.startswith("http") else None,
        "includeFields": lambda s, _i: s.include_fields,
        "apiVersion": lambda s, _i: {"handle": s.api_version, "displayName": s.api_version, "supported": True},
        "createdAt": lambda s, _i: to_utc(s.created_at),
        "updatedAt": lambda s, _i: to_utc(s.created_at),
    },
}


def _zero(order: dict[str, Any]) -> dict[str, Any]:
    money = {"amount": "0.00", "currencyCode": currency(order.get("currency"))}
    return {"shopMoney": money, "presentmentMoney": money}


def _changes(group: AdjustmentGroup, info: Info, args: dict[str, Any]) -> list[dict[str, Any]]:
    store = store_of(info)
    items = {parse_gid(x, "InventoryItem") for x in args.get("inventoryItemIds") or []}
    locations = {parse_gid(x, "Location") for x in args.get("locationIds") or []}
    names = set(args.get("quantityNames") or [])
    return [
        {**change, "item": store.items.get(change["item_id"]), "location": store.locations.get(change["location_id"])}
        for change in group.changes
        if (not items or change["item_id"] in items)
        and (not locations or change["location_id"] in locations)
        and (not names or change["name"] in names)
    ]


def resolve_type(value: Any, _info: Info, _type: Any) -> str:
    """Concrete type of a ``Node`` value (``tagsAdd { node { ... on Order } }``)."""
    kinds = {
        FulfillmentOrder: "FulfillmentOrder",
        Location: "Location",
        InventoryItem: "InventoryItem",
        Metafield: "Metafield",
        CarrierService: "DeliveryCarrierService",
        Subscription: "WebhookSubscription",
        Fulfillment: "Fulfillment",
        Level: "InventoryLevel",
        AdjustmentGroup: "InventoryAdjustmentGroup",
    }
    for cls, name in kinds.items():
        if isinstance(value, cls):
            return name
    if isinstance(value, dict) and "line_items" in value:
        return "Order"
    if isinstance(value, dict) and "refund_line_items" in value:
        return "Refund"
    return "Shop"
