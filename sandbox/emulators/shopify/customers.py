"""``customer(id:)`` and ``customers(first, after, query, sortKey)`` of the Admin GraphQL API, as the CRM
flow's customer reconciliation reads them (shopify.dev/docs/api/admin-graphql/latest/queries/customers:
search syntax with ``updated_at``, ``id``, ``email``; sort keys ``ID``, ``UPDATED_AT``...).

The emulator keeps no customer table of its own: its customers are those of its orders (the latest
copy of each by ``updated_at``), which is what the integration's tests create."""

from __future__ import annotations

from typing import Any

from sandbox.emulators.shopify.resolvers import Info, need_id, store_of
from sandbox.emulators.shopify.search import matches, paginate, parse_query
from sandbox.emulators.shopify.store import to_utc

SDL = """
type CustomerEdge { cursor: String! node: Customer! }
type CustomerConnection { edges: [CustomerEdge!]! nodes: [Customer!]! pageInfo: PageInfo! }
enum CustomerSortKeys { CREATED_AT ID LOCATION NAME RELEVANCE UPDATED_AT }
extend type Customer { createdAt: DateTime! updatedAt: DateTime! }
extend type QueryRoot {
  customer(id: ID!): Customer
  customers(first: Int, after: String, last: Int, before: String, reverse: Boolean = false,
    sortKey: CustomerSortKeys = ID, query: String): CustomerConnection!
}
"""
SEARCH_FIELDS = frozenset({"updated_at", "created_at", "id", "email"})


def _customers(info: Info) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for order in store_of(info).orders.values():
        customer = order.get("customer")
        if not isinstance(customer, dict) or not customer.get("id"):
            continue
        stamped = {
            **customer,
            "updated_at": customer.get("updated_at") or order.get("updated_at"),
            "created_at": customer.get("created_at") or order.get("created_at"),
        }
        known = found.get(int(customer["id"]))
        if known is None or str(to_utc(stamped["updated_at"])) >= str(to_utc(known["updated_at"])):
            found[int(customer["id"])] = stamped
    return found


def _customers_connection(_root: Any, info: Info, **args: Any) -> dict[str, Any]:
    groups = parse_query(args.get("query"))
    found = [c for c in _customers(info).values() if matches(groups, c.get, SEARCH_FIELDS)]
    by_updated = args.get("sortKey") == "UPDATED_AT"

    def key(c: dict[str, Any]) -> tuple[Any, ...]:
        return (to_utc(c.get("updated_at")) or "", c["id"]) if by_updated else (c["id"],)

    return paginate(found, args, key, reverse=bool(args.get("reverse")))


TYPES: dict[str, dict[str, Any]] = {
    "QueryRoot": {
        "customer": lambda _r, info, id: _customers(info).get(need_id(id, "Customer")),
        "customers": _customers_connection,
    },
    "Customer": {
        "createdAt": lambda c, _i: to_utc(c.get("created_at")),
        "updatedAt": lambda c, _i: to_utc(c.get("updated_at")),
    },
}
