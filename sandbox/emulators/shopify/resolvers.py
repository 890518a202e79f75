"""Query root resolvers and the helpers shared with the object-type resolvers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from sandbox.emulators.shopify.orders import display_fulfillment_status, parse_tags
from sandbox.emulators.shopify.schema import CURRENCIES
from sandbox.emulators.shopify.search import matches, paginate, parse_query
from sandbox.emulators.shopify.store import InventoryItem, Level, Location, Store, parse_gid, to_utc

Info = GraphQLResolveInfo
KNOWN_CURRENCIES = frozenset(CURRENCIES.split())
ORDER_SEARCH_FIELDS = frozenset(
    {
        "updated_at",
        "created_at",
        "processed_at",
        "name",
        "status",
        "tag",
        "id",
        "financial_status",
        "fulfillment_status",
        "email",
    }
)


def store_of(info: Info) -> Store:
    return info.context.store


def need_id(value: str, kind: str) -> int:
    number = parse_gid(value, kind)
    if number is None and parse_gid(value) is None:
        raise GraphQLError(f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"})
    return number if number is not None else -1


def currency(code: str | None) -> str:
    return code if code in KNOWN_CURRENCIES else "XXX"


def money_bag(holder: dict[str, Any], plain: str, shop_currency: str) -> dict[str, Any] | None:
    money_set = holder.get(f"{plain}_set")
    if not money_set:
        amount = holder.get(plain)
        if amount is None:
            return None
        money_set = {
            side: {"amount": amount, "currency_code": shop_currency} for side in ("shop_money", "presentment_money")
        }
    return {"shopMoney": _money(money_set["shop_money"]), "presentmentMoney": _money(money_set["presentment_money"])}


def _money(money: dict[str, Any]) -> dict[str, Any]:
    return {"amount": str(money.get("amount")), "currencyCode": currency(money.get("currency_code"))}


def _order_lookup(order: dict[str, Any], store: Store):
    def lookup(field: str) -> Any:
        if field == "status":
            return "cancelled" if order.get("cancelled_at") else "closed" if order.get("closed_at") else "open"
        if field == "tag":
            return parse_tags(order.get("tags"))
        if field == "fulfillment_status":
            return {"FULFILLED": "shipped", "PARTIALLY_FULFILLED": "partial"}.get(
                display_fulfillment_status(store, order), "unshipped"
            )
        return order.get(field)

    return lookup


SORT_FIELDS = {
    "CREATED_AT": "created_at",
    "UPDATED_AT": "updated_at",
    "PROCESSED_AT": "processed_at",
    "ORDER_NUMBER": "order_number",
}


def resolve_orders(_root: Any, info: Info, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    groups = parse_query(args.get("query"))
    # Unlike REST (open orders by default), GraphQL returns orders of every status unless filtered.
    found = [o for o in store.orders.values() if matches(groups, _order_lookup(o, store), ORDER_SEARCH_FIELDS)]
    field = SORT_FIELDS.get(args.get("sortKey") or "ID")

    def key(order: dict[str, Any]) -> tuple[Any, ...]:
        if field is None:
            return (order["id"],)
        value = order.get(field)
        return (to_utc(value) if field.endswith("_at") else value or 0, order["id"])

    return paginate(found, args, key, reverse=bool(args.get("reverse")))


def _item_lookup(item: InventoryItem) -> Callable[[str], Any]:
    return lambda field: item.sku if field == "sku" else item.id


def resolve_inventory_items(_root: Any, info: Info, **args: Any) -> dict[str, Any]:
    store = store_of(info)
    groups = parse_query(args.get("query"))
    skus = [g[0].value for g in groups if len(g) == 1 and g[0].field == "sku" and g[0].op == "=" and not g[0].negate]
    exact = [store.items[store.items_by_sku[s]] for s in dict.fromkeys(skus) if s in store.items_by_sku]
    if skus and len(skus) == len(groups) and len(exact) == len(set(skus)):
        found = exact  # "sku:A OR sku:B" with exact hits: no scan (inventory pushes ask for many SKUs)
    else:
        found = [i for i in store.items.values() if matches(groups, _item_lookup(i), frozenset({"sku", "id"}))]
    return paginate(found, args, lambda i: (i.id,), reverse=bool(args.get("reverse")))


def resolve_inventory_level(_root: Any, info: Info, id: str) -> Level | None:
    # gid://shopify/InventoryLevel/<location id>?inventory_item_id=<item id>
    location_id = parse_gid(id, "InventoryLevel")
    item = id.split("inventory_item_id=")[-1] if "inventory_item_id=" in id else ""
    if location_id is None or not item.isdigit():
        raise GraphQLError(f"Invalid global id '{id}'", extensions={"code": "argumentLiteralsIncompatible"})
    return store_of(info).levels.get((int(item), location_id))


def resolve_location(_root: Any, info: Info, id: str | None = None) -> Location | None:
    store = store_of(info)
    return store.default_location() if id is None else store.locations.get(need_id(id, "Location"))


def resolve_webhook_subscriptions(_root: Any, info: Info, **args: Any) -> dict[str, Any]:
    subs = list(store_of(info).subscriptions.values())
    if args.get("topics"):
        subs = [s for s in subs if topic_enum(s.topic) in args["topics"]]
    return paginate(subs, args, lambda s: (s.id,))


def topic_enum(topic: str) -> str:
    return topic.upper().replace("/", "_")


def _shop(_root: Any, info: Info) -> dict[str, Any]:
    config = info.context.config
    return {
        "id": "gid://shopify/Shop/1",
        "name": config.shop_name,
        "email": f"owner@{config.shop_domain}",
        "myshopifyDomain": config.shop_domain,
        "currencyCode": currency(config.currency_code),
        "ianaTimezone": "Etc/UTC",
    }


QUERY = {
    "shop": _shop,
    "order": lambda _r, info, id: store_of(info).orders.get(need_id(id, "Order")),
    "orders": resolve_orders,
    "fulfillmentOrder": lambda _r, info, id: store_of(info).fulfillment_orders.get(need_id(id, "FulfillmentOrder")),
    "inventoryItem": lambda _r, info, id: store_of(info).items.get(need_id(id, "InventoryItem")),
    "inventoryItems": resolve_inventory_items,
    "inventoryLevel": resolve_inventory_level,
    "location": resolve_location,
    "locations": lambda _r, info, **a: paginate(
        [loc for loc in store_of(info).locations.values() if loc.active or a.get("includeInactive")],
        a,
        lambda loc: (loc.id,),
    ),
    "carrierServices": lambda _r, info, **a: paginate(
        list(store_of(info).carrier_services.values()), a, lambda c: (c.id,)
    ),
    "webhookSubscriptions": resolve_webhook_subscriptions,
}
