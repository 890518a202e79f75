"""Order reads over the Admin GraphQL API (REST is legacy; new public apps are GraphQL only).

The rest of the code consumes orders in the webhook (REST resource) shape, so the GraphQL answer is
mapped to it here, once: snake_case keys, numeric ids, ``*_set`` money bags with ``shop_money`` and
``presentment_money``. Amounts stay the exact decimal text Shopify sent (the ``Decimal`` scalar);
the parsers turn them into ``Decimal`` and never into floats.

Cost: an order query is kept under Shopify's 1,000-point single-query limit (reference shopify.md
§4.4): 30 line items per page (more pages when the order has more), and each refund is read with
its own query (line items, shipping lines, adjustments, transactions).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from integration.clients.shopify_graphql import GraphQL

LINES_PAGE = 30
ORDERS_PAGE = 100

MONEY = "shopMoney { amount currencyCode } presentmentMoney { amount currencyCode }"
TAX_LINES = f"taxLines {{ title rate channelLiable priceSet {{ {MONEY} }} }}"
ADDRESS = "firstName lastName name company address1 address2 city province provinceCode zip country countryCodeV2 phone"
LINE_ITEM = (
    f"id sku name title quantity currentQuantity taxable requiresShipping isGiftCard "
    f"variant {{ id }} product {{ id }} originalUnitPriceSet {{ {MONEY} }} "
    f"discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }} {TAX_LINES}"
)

ORDER = f"""query orderById($id: ID!, $lines: Int!) {{
  order(id: $id) {{
    id legacyResourceId name number email phone note tags sourceName
    createdAt updatedAt processedAt cancelledAt
    currencyCode presentmentCurrencyCode displayFinancialStatus displayFulfillmentStatus taxesIncluded taxExempt
    retailLocation {{ id }}
    customer {{ id firstName lastName defaultEmailAddress {{ emailAddress }} defaultPhoneNumber {{ phoneNumber }}
      defaultAddress {{ {ADDRESS} }} }}
    billingAddress {{ {ADDRESS} }}
    shippingAddress {{ {ADDRESS} }}
    subtotalPriceSet {{ {MONEY} }} totalDiscountsSet {{ {MONEY} }} totalShippingPriceSet {{ {MONEY} }}
    totalTaxSet {{ {MONEY} }} totalPriceSet {{ {MONEY} }} currentTotalPriceSet {{ {MONEY} }}
    currentTotalTaxSet {{ {MONEY} }}
    {TAX_LINES}
    discountApplications(first: 10) {{ nodes {{ __typename allocationMethod targetType
      value {{ ... on MoneyV2 {{ amount currencyCode }} ... on PricingPercentageValue {{ percentage }} }}
      ... on DiscountCodeApplication {{ code }} ... on ManualDiscountApplication {{ title }}
      ... on ScriptDiscountApplication {{ title }} ... on AutomaticDiscountApplication {{ title }} }} }}
    shippingLines(first: 5, includeRemovals: true) {{ nodes {{ id title code source isRemoved
      originalPriceSet {{ {MONEY} }} discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }} {TAX_LINES} }} }}
    lineItems(first: $lines) {{ pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_ITEM} }} }}
    transactions(first: 20) {{ id kind status gateway processedAt parentTransaction {{ id }} amountSet {{ {MONEY} }} }}
    refunds(first: 20) {{ id }}
  }}
}}"""

ORDER_LINES = f"""query orderLineItems($id: ID!, $lines: Int!, $after: String) {{
  order(id: $id) {{ lineItems(first: $lines, after: $after) {{
    pageInfo {{ hasNextPage endCursor }} nodes {{ {LINE_ITEM} }} }} }}
}}"""

REFUND = f"""query refundById($id: ID!) {{
  refund(id: $id) {{
    id legacyResourceId createdAt note order {{ id }}
    totalRefundedSet {{ {MONEY} }}
    refundLineItems(first: 50) {{ nodes {{ id quantity restockType location {{ id }}
      lineItem {{ id sku name quantity }} priceSet {{ {MONEY} }} subtotalSet {{ {MONEY} }}
      totalTaxSet {{ {MONEY} }} }} }}
    refundShippingLines(first: 5) {{ nodes {{ id shippingLine {{ id title }}
      subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }} }}
    orderAdjustments(first: 10) {{ nodes {{ id reason amountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }} }}
    transactions(first: 10) {{ nodes {{ id kind status gateway processedAt parentTransaction {{ id }}
      amountSet {{ {MONEY} }} }} }}
    duties {{ amountSet {{ {MONEY} }} originalDuty {{ id }} }}
  }}
}}"""

# Only the transactions' states: a pending refund's retry re-reads them (a few cost points, not REFUND's).
REFUND_TRANSACTIONS = """query refundTransactions($id: ID!) {
  refund(id: $id) { id transactions(first: 50) { nodes { id kind status } } }
}"""

ORDERS_UPDATED = """query ordersUpdated($query: String!, $first: Int!, $after: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id legacyResourceId name updatedAt cancelledAt displayFulfillmentStatus
      totalPriceSet { shopMoney { amount } }
    }
  }
}"""

DOCUMENTS = {"orderById": ORDER, "orderLineItems": ORDER_LINES, "refundById": REFUND, "ordersUpdated": ORDERS_UPDATED}

# The same summaries as ORDERS_UPDATED, for a bulk query (no first/after: Shopify reads every page).
ORDERS_UPDATED_BULK = """{
  orders(query: %s, sortKey: UPDATED_AT) {
    edges { node { id legacyResourceId name updatedAt cancelledAt totalPriceSet { shopMoney { amount } }
      displayFulfillmentStatus } }
  }
}"""


def _gid(kind: str, value: Any) -> str:
    text = str(value)
    return text if text.startswith("gid://") else f"gid://shopify/{kind}/{text}"


def _id(value: Any) -> int | None:
    if not value:
        return None
    tail = str(value).rsplit("/", 1)[-1].split("?", 1)[0]
    return int(tail) if tail.isdigit() else None


def _bag(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for graph, rest in (("shopMoney", "shop_money"), ("presentmentMoney", "presentment_money")):
        side = value.get(graph)
        if isinstance(side, dict):
            out[rest] = {"amount": str(side.get("amount")), "currency_code": side.get("currencyCode") or ""}
    return out


def _amount(value: Any) -> str | None:
    bag = _bag(value) or {}
    return (bag.get("shop_money") or {}).get("amount")


def _money(out: dict[str, Any], name: str, value: Any) -> None:
    """``name`` (shop amount, the legacy field) and ``name_set`` (both currencies)."""
    if isinstance(value, dict):
        out[name], out[f"{name}_set"] = _amount(value), _bag(value)


def _address(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    keys = {"firstName": "first_name", "lastName": "last_name", "provinceCode": "province_code"}
    out: dict[str, Any] = {keys.get(str(k), str(k)): v for k, v in value.items() if k != "countryCodeV2"}
    out["country_code"] = value.get("countryCodeV2")
    return out


def _tax_lines(items: Any) -> list[dict[str, Any]]:
    out = []
    for t in items or []:
        line = {"title": t.get("title"), "rate": t.get("rate"), "channel_liable": bool(t.get("channelLiable"))}
        _money(line, "price", t.get("priceSet"))
        out.append(line)
    return out


def _allocations(items: Any) -> list[dict[str, Any]]:
    return [
        {"amount": _amount(a.get("allocatedAmountSet")), "amount_set": _bag(a.get("allocatedAmountSet"))}
        for a in items or []
    ]


def _line_item(node: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "id": _id(node.get("id")),
        "admin_graphql_api_id": node.get("id"),
        "sku": node.get("sku"),
        "name": node.get("name"),
        "title": node.get("title"),
        "quantity": node.get("quantity"),
        "current_quantity": node.get("currentQuantity"),
        "taxable": node.get("taxable"),
        "requires_shipping": node.get("requiresShipping"),
        "gift_card": node.get("isGiftCard"),
        "variant_id": _id((node.get("variant") or {}).get("id")),
        "product_id": _id((node.get("product") or {}).get("id")),
        "discount_allocations": _allocations(node.get("discountAllocations")),
        "tax_lines": _tax_lines(node.get("taxLines")),
    }
    _money(line, "price", node.get("originalUnitPriceSet"))
    return line


def _discount_application(node: dict[str, Any]) -> dict[str, Any]:
    value = node.get("value") or {}
    kinds = {
        "DiscountCodeApplication": "discount_code",
        "ManualDiscountApplication": "manual",
        "ScriptDiscountApplication": "script",
        "AutomaticDiscountApplication": "automatic",
    }
    return {
        "type": kinds.get(str(node.get("__typename")), str(node.get("__typename") or "")),
        "value_type": "percentage" if "percentage" in value else "fixed_amount",
        "value": str(value.get("percentage", value.get("amount", ""))),
        "allocation_method": str(node.get("allocationMethod") or "").lower(),
        "target_type": str(node.get("targetType") or "").lower(),
        "title": node.get("title") or node.get("code") or "",
        "code": node.get("code"),
    }


def _transaction(node: dict[str, Any]) -> dict[str, Any]:
    bag = _bag(node.get("amountSet")) or {}
    shop = bag.get("shop_money") or {}
    return {
        "id": _id(node.get("id")),
        "kind": str(node.get("kind") or "").lower(),
        "status": str(node.get("status") or "").lower(),
        "gateway": node.get("gateway"),
        "processed_at": node.get("processedAt"),
        "parent_id": _id((node.get("parentTransaction") or {}).get("id")),
        "amount": shop.get("amount"),
        "currency": shop.get("currency_code"),
        "amount_set": bag,
    }


def order_to_rest(node: dict[str, Any], lines: list[dict[str, Any]], refunds: list[dict[str, Any]]) -> dict[str, Any]:
    """The GraphQL order (plus its line-item pages and refunds) in the webhook body's shape."""
    customer = node.get("customer")
    body: dict[str, Any] = {
        "id": _id(node.get("id")),
        "admin_graphql_api_id": node.get("id"),
        "name": node.get("name"),
        "order_number": node.get("number"),
        "email": node.get("email"),
        "phone": node.get("phone"),
        "note": node.get("note"),
        "tags": ", ".join(node.get("tags") or []),
        "source_name": node.get("sourceName"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "processed_at": node.get("processedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "currency": node.get("currencyCode"),
        "presentment_currency": node.get("presentmentCurrencyCode"),
        "financial_status": str(node.get("displayFinancialStatus") or "").lower(),
        "fulfillment_status": _fulfillment_status(node.get("displayFulfillmentStatus")),
        "taxes_included": node.get("taxesIncluded"),
        "tax_exempt": node.get("taxExempt"),
        "location_id": _id((node.get("retailLocation") or {}).get("id")),
        "customer": None
        if not isinstance(customer, dict)
        else {
            "id": _id(customer.get("id")),
            "email": (customer.get("defaultEmailAddress") or {}).get("emailAddress"),
            "phone": (customer.get("defaultPhoneNumber") or {}).get("phoneNumber"),
            "first_name": customer.get("firstName"),
            "last_name": customer.get("lastName"),
            "default_address": _address(customer.get("defaultAddress")),
        },
        "billing_address": _address(node.get("billingAddress")),
        "shipping_address": _address(node.get("shippingAddress")),
        "tax_lines": _tax_lines(node.get("taxLines")),
        "discount_applications": [
            _discount_application(d) for d in (node.get("discountApplications") or {}).get("nodes") or []
        ],
        "line_items": [_line_item(li) for li in lines],
        "shipping_lines": [_shipping_line(s) for s in (node.get("shippingLines") or {}).get("nodes") or []],
        "transactions": [_transaction(t) for t in node.get("transactions") or []],
        "refunds": refunds,
    }
    for name, field in (
        ("subtotal_price", "subtotalPriceSet"),
        ("total_discounts", "totalDiscountsSet"),
        ("total_shipping_price", "totalShippingPriceSet"),
        ("total_tax", "totalTaxSet"),
        ("total_price", "totalPriceSet"),
        ("current_total_price", "currentTotalPriceSet"),
        ("current_total_tax", "currentTotalTaxSet"),
    ):
        _money(body, name, node.get(field))
    return body


def _fulfillment_status(display: Any) -> str | None:
    mapping = {"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial", "RESTOCKED": "restocked"}
    return mapping.get(str(display or ""))


def _shipping_line(node: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = {
        "id": _id(node.get("id")),
        "title": node.get("title"),
        "code": node.get("code"),
        "source": node.get("source"),
        "is_removed": bool(node.get("isRemoved")),
        "discount_allocations": _allocations(node.get("discountAllocations")),
        "tax_lines": _tax_lines(node.get("taxLines")),
    }
    _money(line, "price", node.get("originalPriceSet"))
    return line


def refund_to_rest(node: dict[str, Any]) -> dict[str, Any]:
    """The GraphQL refund in the ``refunds/create`` webhook body's shape."""
    lines = []
    for item in (node.get("refundLineItems") or {}).get("nodes") or []:
        line_item = item.get("lineItem") or {}
        line: dict[str, Any] = {
            "id": _id(item.get("id")),
            "quantity": item.get("quantity"),
            "restock_type": str(item.get("restockType") or "").lower(),
            "location_id": _id((item.get("location") or {}).get("id")),
            "line_item_id": _id(line_item.get("id")),
            "line_item": {
                "id": _id(line_item.get("id")),
                "sku": line_item.get("sku"),
                "name": line_item.get("name"),
                "quantity": line_item.get("quantity"),
            },
        }
        _money(line, "price", item.get("priceSet"))
        _money(line, "subtotal", item.get("subtotalSet"))
        _money(line, "total_tax", item.get("totalTaxSet"))
        lines.append(line)
    shipping = []
    for item in (node.get("refundShippingLines") or {}).get("nodes") or []:
        shipping_line = item.get("shippingLine") or {}
        shipping.append(
            {
                "id": _id(item.get("id")),
                "shipping_line_id": _id(shipping_line.get("id")),
                "shipping_line": {"id": _id(shipping_line.get("id")), "title": shipping_line.get("title")},
                "subtotal_amount_set": _bag(item.get("subtotalAmountSet")),
                "tax_amount_set": _bag(item.get("taxAmountSet")),
            }
        )
    adjustments = []
    for item in (node.get("orderAdjustments") or {}).get("nodes") or []:
        # The same record as REST's order_adjustments (same sign): the refund parser makes it a credit.
        adjustment: dict[str, Any] = {
            "id": _id(item.get("id")),
            "kind": "refund_discrepancy",
            "reason": str(item.get("reason") or "").lower(),
        }
        _money(adjustment, "amount", item.get("amountSet"))
        _money(adjustment, "tax_amount", item.get("taxAmountSet"))
        adjustments.append(adjustment)
    duties = node.get("duties") or []
    return {
        "id": _id(node.get("id")),
        "admin_graphql_api_id": node.get("id"),
        "order_id": _id((node.get("order") or {}).get("id")),
        "created_at": node.get("createdAt"),
        "note": node.get("note"),
        "refund_line_items": lines,
        "refund_shipping_lines": shipping,
        "order_adjustments": adjustments,
        "transactions": [_transaction(t) for t in (node.get("transactions") or {}).get("nodes") or []],
        "duties": [
            {"duty_id": _id((d.get("originalDuty") or {}).get("id")), "amount_set": _bag(d.get("amountSet"))}
            for d in duties
        ],
    }


def fetch_order(admin: GraphQL, order_id: str | int) -> dict[str, Any] | None:
    """One order with every line item, its refunds and transactions; None when it does not exist."""
    order_gid = _gid("Order", order_id)
    data = admin.graphql(ORDER, {"id": order_gid, "lines": LINES_PAGE}, expected_cost=500)
    node = data.get("order")
    if not node:
        return None
    page = node.get("lineItems") or {}
    lines = list(page.get("nodes") or [])
    while (page.get("pageInfo") or {}).get("hasNextPage"):
        after = page["pageInfo"]["endCursor"]
        more = admin.graphql(ORDER_LINES, {"id": order_gid, "lines": LINES_PAGE, "after": after}, expected_cost=450)
        page = ((more.get("order") or {}).get("lineItems")) or {}
        lines.extend(page.get("nodes") or [])
    refunds = []
    for ref in node.get("refunds") or []:
        refund = fetch_refund(admin, ref["id"])
        if refund is not None:
            refunds.append(refund)
    return order_to_rest(node, lines, refunds)


def fetch_refund(admin: GraphQL, refund_id: str | int) -> dict[str, Any] | None:
    data = admin.graphql(REFUND, {"id": _gid("Refund", refund_id)}, expected_cost=700)
    node = data.get("refund")
    return refund_to_rest(node) if node else None


def fetch_refund_transactions(admin: GraphQL, refund_id: str | int) -> list[dict[str, str]] | None:
    """The refund's transactions as Shopify has them now (a pending one settles later and Shopify sends
    no new webhook): ``[{"id", "kind", "status"}]`` as the webhook (and :func:`refund_to_rest`) spell
    them; None when Shopify has no such refund."""
    data = admin.graphql(REFUND_TRANSACTIONS, {"id": _gid("Refund", refund_id)}, expected_cost=4)
    node = data.get("refund")
    if node is None:
        return None
    transactions = (_transaction(t) for t in (node.get("transactions") or {}).get("nodes") or [])
    return [{"id": str(t["id"]), "kind": t["kind"], "status": t["status"]} for t in transactions]


def search_time(value: str) -> str:
    """An ISO time as Shopify's search syntax wants it (quoted, UTC offset kept)."""
    return "'" + value.replace("'", "") + "'"


def updated_query(updated_at_min: str, updated_at_max: str | None = None) -> str:
    """Shopify search syntax for orders updated in a window."""
    query = f"updated_at:>={search_time(updated_at_min)}"
    if updated_at_max:
        query += f" AND updated_at:<={search_time(updated_at_max)}"
    return query


def summary(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _id(node.get("id")),
        "admin_graphql_api_id": node.get("id"),
        "name": node.get("name"),
        "updated_at": node.get("updatedAt"),
        "cancelled_at": node.get("cancelledAt"),
        # What a reconciliation compares without fetching the whole order (the CRM flow's).
        "total_price": ((node.get("totalPriceSet") or {}).get("shopMoney") or {}).get("amount"),
        "fulfillment_status": str(node.get("displayFulfillmentStatus") or "").lower() or None,
    }


def bulk_query(updated_at_min: str, updated_at_max: str | None = None) -> str:
    """The bulk query document for a window (the search string as a GraphQL string literal)."""
    return ORDERS_UPDATED_BULK % json.dumps(updated_query(updated_at_min, updated_at_max))


def updated_orders(
    admin: GraphQL, updated_at_min: str, updated_at_max: str | None = None, page_size: int = ORDERS_PAGE
) -> Iterator[dict[str, Any]]:
    """Orders updated in a window, oldest change first, as light summaries
    (``id``, ``admin_graphql_api_id``, ``name``, ``updated_at``, ``cancelled_at``, ``total_price`` and
    ``fulfillment_status`` in the webhook's spelling); callers fetch
    the full order when they need it (:func:`fetch_order`)."""
    query = updated_query(updated_at_min, updated_at_max)
    after: str | None = None
    while True:
        data = admin.graphql(
            ORDERS_UPDATED, {"query": query, "first": page_size, "after": after}, expected_cost=2 + page_size
        )
        connection = data.get("orders") or {}
        for node in connection.get("nodes") or []:
            yield summary(node)
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return
        after = info.get("endCursor")
