"""Mutation resolvers. Every mutation validates everything first and changes nothing when it
returns ``userErrors`` (as Shopify does)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo, get_directive_values

from sandbox.emulators.shopify.fulfillments import FulfillmentError, create_fulfillment, update_tracking
from sandbox.emulators.shopify.inventory import adjust_quantities, set_quantities
from sandbox.emulators.shopify.orders import add_tags, remove_tags, set_tags, touch
from sandbox.emulators.shopify.resolvers import store_of
from sandbox.emulators.shopify.schema import TIER_2026_04
from sandbox.emulators.shopify.store import CarrierService, Subscription, gid, gid_kind, now_rest, parse_gid

Info = GraphQLResolveInfo
MAX_METAFIELDS = 25
IRREGULAR_TOPICS = {"ORDER_TRANSACTIONS_CREATE": "order_transactions/create"}


def _valid_value(type_: str, value: str) -> bool:
    """The value checks Shopify applies for the metafield types the integration writes."""
    try:
        if type_ == "number_integer":
            int(value)
        elif type_ == "number_decimal":
            Decimal(value)
        elif type_ == "json":
            json.loads(value)
        elif type_ == "boolean":
            return value in ("true", "false")
    except (ValueError, ArithmeticError):
        return False
    return True


def _error(field: list[str] | None, message: str, **extra: Any) -> dict[str, Any]:
    return {"field": field, "message": message, **extra}


def _order(info: Info, value: str) -> dict[str, Any] | None:
    return store_of(info).orders.get(parse_gid(value, "Order") or -1)


def _order_changed(info: Info, order: dict[str, Any]) -> None:
    if info.context.config.fire_orders_updated:
        info.context.emit("orders/updated", order)


def order_update(_r: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    order = _order(info, input["id"])
    if order is None:
        return {"order": None, "userErrors": [_error(["id"], "Order does not exist")]}
    if "tags" in input:
        set_tags(order, input["tags"] or [])  # OrderInput.tags overwrites (reference §4.3)
    for key, rest in (("note", "note"), ("email", "email"), ("poNumber", "po_number")):
        if key in input:
            order[rest] = input[key]
    for metafield in input.get("metafields") or []:
        store_of(info).set_metafield(
            gid("Order", order["id"]),
            metafield.get("namespace") or "$app",
            metafield.get("key") or "",
            metafield.get("value") or "",
            metafield.get("type") or "single_line_text_field",
        )
    touch(order)
    _order_changed(info, order)
    return {"order": order, "userErrors": []}


def _tags(info: Info, id: str, tags: list[str], change: Any) -> dict[str, Any]:
    order = _order(info, id)
    if order is None:
        kind = gid_kind(id)
        message = "Invalid global id" if kind is None else f"{kind} does not exist"
        return {"node": None, "userErrors": [_error(["id"], message)]}
    if change(order, tags):
        _order_changed(info, order)
    return {"node": order, "userErrors": []}


def tags_add(_r: Any, info: Info, id: str, tags: list[str]) -> dict[str, Any]:
    return _tags(info, id, tags, add_tags)


def tags_remove(_r: Any, info: Info, id: str, tags: list[str]) -> dict[str, Any]:
    return _tags(info, id, tags, remove_tags)


def _owner_exists(info: Info, owner: str) -> bool:
    store = store_of(info)
    kind, number = gid_kind(owner), parse_gid(owner)
    tables: dict[str, dict[int, Any]] = {
        "Order": store.orders,
        "Location": store.locations,
        "InventoryItem": store.items,
    }
    return kind == "Shop" or (kind in tables and number in tables[kind])


def metafields_set(_r: Any, info: Info, metafields: list[dict[str, Any]]) -> dict[str, Any]:
    store = store_of(info)
    if len(metafields) > MAX_METAFIELDS:
        return {
            "metafields": None,
            "userErrors": [
                _error(
                    ["metafields"],
                    f"Exceeded the maximum metafields input limit of {MAX_METAFIELDS}.",
                    code="LESS_THAN_OR_EQUAL_TO",
                    elementIndex=None,
                )
            ],
        }
    errors = []
    for index, m in enumerate(metafields):
        where = ["metafields", str(index)]
        existing = store.get_metafield(m["ownerId"], m.get("namespace") or "$app", m["key"])
        if not _owner_exists(info, m["ownerId"]):
            errors.append(_error([*where, "ownerId"], "Owner does not exist.", code="INVALID", elementIndex=index))
        elif not m.get("type") and existing is None:
            errors.append(_error([*where, "type"], "Type can't be blank.", code="BLANK", elementIndex=index))
        elif m.get("compareDigest") and (existing is None or existing.compare_digest != m["compareDigest"]):
            errors.append(
                _error(
                    [*where, "compareDigest"],
                    "The resource has been updated since it was loaded.",
                    code="STALE_OBJECT",
                    elementIndex=index,
                )
            )
        elif not _valid_value(m.get("type") or (existing.type if existing else ""), m["value"]):
            errors.append(
                _error(
                    [*where, "value"],
                    f"Value is invalid for type {m.get('type')}.",
                    code="INVALID_VALUE",
                    elementIndex=index,
                )
            )
    if errors:
        return {"metafields": None, "userErrors": errors}
    saved = []
    for m in metafields:
        namespace = m.get("namespace") or "$app"
        existing = store.get_metafield(m["ownerId"], namespace, m["key"])
        saved.append(
            store.set_metafield(
                m["ownerId"], namespace, m["key"], m["value"], m.get("type") or (existing.type if existing else "")
            )
        )
        order = store.orders.get(parse_gid(m["ownerId"], "Order") or -1)
        if order is not None:
            touch(order)
    return {"metafields": saved, "userErrors": []}


def _idempotency_key(info: Info) -> str | None:
    directive = info.schema.get_directive("idempotent")
    if directive is None:
        return None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return values["key"] if values else None


def _idempotent(info: Info, args: dict[str, Any], run: Any) -> dict[str, Any]:
    """Run ``run()`` once per ``@idempotent(key:)``; a replay returns the first result unchanged."""
    tier = info.context.tier
    key = _idempotency_key(info)
    if key is None:
        if tier == TIER_2026_04:
            raise GraphQLError(
                "The @idempotent directive is required for this mutation.", extensions={"code": "BAD_REQUEST"}
            )
        return run()
    store = store_of(info)
    fingerprint = json.dumps([info.field_name, args], sort_keys=True, default=str)
    if key in store.idempotency:
        seen, result = store.idempotency[key]
        if seen != fingerprint:
            return {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    _error(
                        ["idempotencyKey"],
                        "The same idempotency key cannot be used with different operation parameters.",
                        code="IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    )
                ],
            }
        return result
    result = run()
    store.idempotency[key] = (fingerprint, result)
    return result


def inventory_set_quantities(_r: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    return _idempotent(info, input, lambda: set_quantities(store_of(info), input, info.context.tier))


def inventory_adjust_quantities(_r: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    return _idempotent(info, input, lambda: adjust_quantities(store_of(info), input, info.context.tier))


def fulfillment_create(_r: Any, info: Info, fulfillment: dict[str, Any], message: str | None = None) -> dict[str, Any]:
    store = store_of(info)
    try:
        created = create_fulfillment(store, fulfillment)
    except FulfillmentError as error:
        return {"fulfillment": None, "userErrors": [_error(error.field, str(error))]}
    order = store.orders[created.order_id]
    info.context.emit("fulfillments/create", order["fulfillments"][-1])
    info.context.emit(
        "orders/fulfilled" if order["fulfillment_status"] == "fulfilled" else "orders/partially_fulfilled", order
    )
    _order_changed(info, order)
    return {"fulfillment": created, "userErrors": []}


def fulfillment_tracking_info_update(
    _r: Any, info: Info, fulfillmentId: str, trackingInfoInput: dict[str, Any], notifyCustomer: bool | None = None
) -> dict[str, Any]:
    store = store_of(info)
    fulfillment = store.fulfillments.get(parse_gid(fulfillmentId, "Fulfillment") or -1)
    if fulfillment is None:
        return {"fulfillment": None, "userErrors": [_error(["fulfillmentId"], "Fulfillment does not exist.")]}
    update_tracking(store, fulfillment, trackingInfoInput)
    info.context.emit(
        "fulfillments/update",
        next(f for f in store.orders[fulfillment.order_id]["fulfillments"] if f["id"] == fulfillment.id),
    )
    return {"fulfillment": fulfillment, "userErrors": []}


def carrier_service_create(_r: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    store = store_of(info)
    name = (input.get("name") or "").strip()
    problem = (
        "Name can't be blank"
        if not name
        else "Name has already been taken"
        if any(c.name == name for c in store.carrier_services.values())
        else None
    )
    if problem:
        return {
            "carrierService": None,
            "userErrors": [_error(["input", "name"], problem, code="CARRIER_SERVICE_CREATE_FAILED")],
        }
    service = CarrierService(
        store.next_id(), name, input["callbackUrl"], bool(input["active"]), bool(input["supportsServiceDiscovery"])
    )
    store.carrier_services[service.id] = service
    return {"carrierService": service, "userErrors": []}


def webhook_subscription_create(_r: Any, info: Info, topic: str, webhookSubscription: dict[str, Any]) -> dict[str, Any]:
    store = store_of(info)
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    address = "uri" if "uri" in webhookSubscription else "callbackUrl"  # callbackUrl: deprecated since 2025-04
    rest_topic = IRREGULAR_TOPICS.get(topic) or topic.lower().replace("_", "/", 1)
    if not uri:
        return {
            "webhookSubscription": None,
            "userErrors": [_error(["webhookSubscription", address], "Address can't be blank")],
        }
    if any(s.topic == rest_topic and s.uri == uri for s in store.subscriptions.values()):
        return {
            "webhookSubscription": None,
            "userErrors": [_error(["webhookSubscription", address], "Address for this topic has already been taken")],
        }
    subscription = Subscription(
        store.next_id(),
        rest_topic,
        uri,
        info.context.version,
        now_rest(),
        webhookSubscription.get("format") or "JSON",
        list(webhookSubscription.get("includeFields") or []),
        webhookSubscription.get("filter"),
    )
    store.subscriptions[subscription.id] = subscription
    return {"webhookSubscription": subscription, "userErrors": []}


def webhook_subscription_delete(_r: Any, info: Info, id: str) -> dict[str, Any]:
    store = store_of(info)
    if store.subscriptions.pop(parse_gid(id, "WebhookSubscription") or -1, None) is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [_error(["id"], "Webhook subscription does not exist")],
        }
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


MUTATION = {
    "orderUpdate": order_update,
    "tagsAdd": tags_add,
    "tagsRemove": tags_remove,
    "metafieldsSet": metafields_set,
    "inventorySetQuantities": inventory_set_quantities,
    "inventoryAdjustQuantities": inventory_adjust_quantities,
    "fulfillmentCreate": fulfillment_create,
    "fulfillmentTrackingInfoUpdate": fulfillment_tracking_info_update,
    "carrierServiceCreate": carrier_service_create,
    "webhookSubscriptionCreate": webhook_subscription_create,
    "webhookSubscriptionDelete": webhook_subscription_delete,
}
