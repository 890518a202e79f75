"""Resolvers of the product and price-list types and fields (schema: catalog_sdl.py), the price-list
mutations, and the operator routes that stand in for the merchant: create a price list, read the
catalog state. ``register`` adds them to the emulator's resolver maps."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.shopify import bulk, product_extras
from sandbox.emulators.shopify.products import (
    Catalog,
    PriceList,
    Product,
    Variant,
    catalog_of,
    find_product,
    product_set,
)
from sandbox.emulators.shopify.resolvers import store_of
from sandbox.emulators.shopify.search import paginate
from sandbox.emulators.shopify.store import InventoryItem, Store, gid, parse_gid, to_utc
from sandbox.emulators.shopify.wire import json_response

Info = GraphQLResolveInfo


def _book(info: Info) -> Catalog:
    return catalog_of(store_of(info))


def _variant_title(v: Variant) -> str:
    return " / ".join(v.options) or "Default Title"


def _variants(p: Product, info: Info, args: dict[str, Any]) -> dict[str, Any]:
    book = _book(info)
    rows = [book.variants[v] for v in p.variants if v in book.variants]
    return paginate(rows, args, lambda v: (v.position, v.id), reverse=bool(args.get("reverse")))


def _options(p: Product, _info: Info, first: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "id": gid("ProductOption", oid),
            "name": name,
            "position": n,
            "values": values,
            "optionValues": [
                {"id": gid("ProductOptionValue", f"{oid}{i}"), "name": value, "hasVariants": True}
                for i, value in enumerate(values)
            ],
        }
        for n, (oid, name, values) in enumerate(p.options, start=1)
    ][:first]


def _measurement(item: InventoryItem, info: Info) -> dict[str, Any]:
    found = _book(info).measurements.get(item.id)
    weight = found.weight if found else None
    return {
        "id": gid("InventoryItemMeasurement", item.id),
        "weight": {"unit": weight[0], "value": weight[1]} if weight else None,
    }


def _price_list_prices(pl: PriceList, info: Info, args: dict[str, Any]) -> dict[str, Any]:
    book = _book(info)
    rows = [
        {
            "variant": book.variants[v],
            "price": {"amount": price, "currencyCode": pl.currency},
            "compareAtPrice": None,
            "originType": "FIXED",
        }
        for v, price in pl.fixed.items()
        if v in book.variants
    ]
    return paginate(rows, args, lambda r: (r["variant"].id,), reverse=bool(args.get("reverse")))


def _price_error(code: str, path: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": path, "message": message}


def _check_prices(info: Info, pl: PriceList | None, prices: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    if pl is None:
        return [_price_error("PRICE_LIST_NOT_FOUND", ["priceListId"], "Price list not found.")]
    errors = []
    for n, price in enumerate(prices):
        if (parse_gid(price["variantId"], "ProductVariant") or -1) not in _book(info).variants:
            errors.append(_price_error("VARIANT_NOT_FOUND", [path, str(n), "variantId"], "Variant not found."))
        for key in ("price", "compareAtPrice"):
            money = price.get(key)
            if money and money["currencyCode"] != pl.currency:
                errors.append(
                    _price_error(
                        "PRICE_LIST_CURRENCY_MISMATCH",
                        [path, str(n), key],
                        "Currency must match the price list's currency.",
                    )
                )
    return errors


def _price_list(info: Info, value: str) -> PriceList | None:
    return _book(info).price_lists.get(parse_gid(value, "PriceList") or -1)


def _add(pl: PriceList, info: Info, prices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    book = _book(info)
    out = []
    for price in prices:
        vid = parse_gid(price["variantId"], "ProductVariant") or -1
        pl.fixed[vid] = Decimal(str(price["price"]["amount"]))
        out.append(
            {
                "variant": book.variants[vid],
                "price": {"amount": pl.fixed[vid], "currencyCode": pl.currency},
                "compareAtPrice": None,
                "originType": "FIXED",
            }
        )
    return out


def fixed_prices_add(_r: Any, info: Info, priceListId: str, prices: list[dict[str, Any]]) -> dict[str, Any]:
    pl = _price_list(info, priceListId)
    errors = _check_prices(info, pl, prices, "prices")
    if errors or pl is None:
        return {"prices": None, "userErrors": errors}
    return {"prices": _add(pl, info, prices), "userErrors": []}


def _delete(pl: PriceList, ids: list[str]) -> list[str]:
    gone = []
    for value in ids:
        vid = parse_gid(value, "ProductVariant") or -1
        if pl.fixed.pop(vid, None) is not None:
            gone.append(gid("ProductVariant", vid))
    return gone


def fixed_prices_update(
    _r: Any, info: Info, priceListId: str, pricesToAdd: list[dict[str, Any]], variantIdsToDelete: list[str]
) -> dict[str, Any]:
    pl = _price_list(info, priceListId)
    errors = _check_prices(info, pl, pricesToAdd, "pricesToAdd")
    if errors or pl is None:
        return {"deletedFixedPriceVariantIds": None, "priceList": None, "pricesAdded": None, "userErrors": errors}
    gone = _delete(pl, variantIdsToDelete)
    return {
        "deletedFixedPriceVariantIds": gone,
        "priceList": pl,
        "pricesAdded": _add(pl, info, pricesToAdd),
        "userErrors": [],
    }


def fixed_prices_delete(_r: Any, info: Info, priceListId: str, variantIds: list[str]) -> dict[str, Any]:
    pl = _price_list(info, priceListId)
    if pl is None:
        return {
            "deletedFixedPriceVariantIds": None,
            "userErrors": [_price_error("PRICE_LIST_NOT_FOUND", ["priceListId"], "Price list not found.")],
        }
    return {"deletedFixedPriceVariantIds": _delete(pl, variantIds), "userErrors": []}


def _products(_r: Any, info: Info, **args: Any) -> dict[str, Any]:
    return paginate(list(_book(info).products.values()), args, lambda p: (p.id,), reverse=bool(args.get("reverse")))


QUERY_FIELDS: dict[str, Any] = {
    "product": lambda _r, i, id: _book(i).products.get(parse_gid(id, "Product") or -1),
    "productByIdentifier": lambda _r, i, identifier: find_product(store_of(i), identifier),
    "products": _products,
    "productVariant": lambda _r, i, id: _book(i).variants.get(parse_gid(id, "ProductVariant") or -1),
    "priceList": lambda _r, i, id: _price_list(i, id),
}

TYPE_FIELDS: dict[str, dict[str, Any]] = {
    "Product": {
        # Order reads hand over ``{"id": gid}`` for a line item's product; catalog reads a Product object.
        "id": lambda p, _i: p["id"] if isinstance(p, dict) else gid("Product", p.id),
        "legacyResourceId": lambda p, _i: str(p.id),
        "descriptionHtml": lambda p, _i: p.description_html,
        "productType": lambda p, _i: p.product_type,
        "createdAt": lambda p, _i: to_utc(p.created_at),
        "updatedAt": lambda p, _i: to_utc(p.updated_at),
        "options": _options,
        "variants": lambda p, i, **a: _variants(p, i, a),
        "metafield": lambda p, i, key, namespace=None: store_of(i).get_metafield(
            gid("Product", p.id), namespace or "$app", key
        ),
    },
    "ProductVariant": {
        "id": lambda v, _i: v["id"] if isinstance(v, dict) else gid("ProductVariant", v.id),
        "legacyResourceId": lambda v, _i: str(v.id),
        "title": lambda v, _i: _variant_title(v),
        "price": lambda v, _i: str(v.price),
        "selectedOptions": lambda v, i: (
            [
                {"name": name, "value": value}
                for (_id, name, _values), value in zip(_book(i).products[v.product_id].options, v.options, strict=False)
            ]
            or [{"name": "Title", "value": "Default Title"}]
        ),
        "inventoryItem": lambda v, i: store_of(i).items.get(v.item_id),
        "product": lambda v, i: _book(i).products.get(v.product_id),
        "metafield": lambda v, i, key, namespace=None: store_of(i).get_metafield(
            gid("ProductVariant", v.id), namespace or "$app", key
        ),
    },
    "InventoryItem": {
        "requiresShipping": lambda it, i: (_book(i).measurements.get(it.id) or _Default).requires_shipping,
        "measurement": _measurement,
        "variant": lambda it, i: next((v for v in _book(i).variants.values() if v.item_id == it.id), None),
    },
    "PriceList": {
        "id": lambda pl, _i: gid("PriceList", pl.id),
        "fixedPricesCount": lambda pl, _i: len(pl.fixed),
        "prices": lambda pl, i, **a: _price_list_prices(pl, i, a),
    },
}


class _Default:
    requires_shipping = True


MUTATIONS: dict[str, Any] = {
    "productSet": product_set,
    "priceListFixedPricesAdd": fixed_prices_add,
    "priceListFixedPricesUpdate": fixed_prices_update,
    "priceListFixedPricesDelete": fixed_prices_delete,
}


def register(types: dict[str, dict[str, Any]], mutation: dict[str, Any]) -> None:
    types["QueryRoot"].update({**QUERY_FIELDS, **bulk.QUERY_FIELDS, **product_extras.QUERY_FIELDS})
    for type_name, fields in {**TYPE_FIELDS, **bulk.TYPE_FIELDS, **product_extras.TYPE_FIELDS}.items():
        types.setdefault(type_name, {}).update(fields)
    mutation.update({**MUTATIONS, **bulk.MUTATIONS, **product_extras.MUTATIONS})


# Operator routes (the merchant's side) ------------------------------------------------------------


def _store(request: Request) -> Store:
    return request.app.state.emulator.store  # type: ignore[no-any-return]


async def post_price_list(request: Request) -> Response:
    body = json.loads(await request.body() or b"{}")
    store = _store(request)
    pl = PriceList(store.next_id(), str(body.get("name") or "Price list"), str(body.get("currency") or "USD").upper())
    pl.b2b = body.get("catalog") == "company_location"  # a B2B catalog's list (else a market's)
    catalog_of(store).price_lists[pl.id] = pl
    return json_response({"id": gid("PriceList", pl.id), "name": pl.name, "currency": pl.currency}, 201)


async def get_catalog(request: Request) -> Response:
    store = _store(request)
    book = catalog_of(store)
    products = []
    for p in book.products.values():
        products.append(
            {
                "id": gid("Product", p.id),
                "title": p.title,
                "status": p.status,
                "description_html": p.description_html,
                "options": [{"name": n, "values": v} for _i, n, v in p.options],
                "metafields": {f"{m.namespace}.{m.key}": m.value for m in store.metafields_of(gid("Product", p.id))},
                "variants": [
                    {
                        "id": gid("ProductVariant", v.id),
                        "sku": v.sku,
                        "price": str(v.price),
                        "barcode": v.barcode or None,
                        "options": list(v.options),
                        "inventory_item_id": gid("InventoryItem", v.item_id),
                        "requires_shipping": (book.measurements.get(v.item_id) or _Default).requires_shipping,
                        "weight": list(w) if (w := getattr(book.measurements.get(v.item_id), "weight", None)) else None,
                        "metafields": {
                            f"{m.namespace}.{m.key}": m.value for m in store.metafields_of(gid("ProductVariant", v.id))
                        },
                    }
                    for v in (book.variants[x] for x in p.variants if x in book.variants)
                ],
            }
        )
    price_lists = {
        gid("PriceList", pl.id): {gid("ProductVariant", v): str(x) for v, x in pl.fixed.items()}
        for pl in book.price_lists.values()
    }
    breaks = {
        gid("PriceList", pl.id): {
            gid("ProductVariant", v): {str(m): str(x) for m, x in sorted(b.items())} for v, b in pl.breaks.items()
        }
        for pl in book.price_lists.values()
        if pl.breaks
    }
    translations = {
        f"{rid} {locale} {key}": value
        for (rid, locale, key), (value, _d, _s) in product_extras.localized(store).translations.items()
    }
    return json_response(
        {
            "products": products,
            "price_lists": price_lists,
            "quantity_price_breaks": breaks,
            "translations": translations,
            "product_set_writes": book.writes,
        }
    )


ROUTES = [
    Route("/_emulator/price-lists", post_price_list, methods=["POST"]),
    Route("/_emulator/catalog", get_catalog, methods=["GET"]),
    *bulk.ROUTES,
]
