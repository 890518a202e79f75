"""What the Shopify read helpers (``shopify_orders.py``, ``shopify_bulk.py``) need from the client:
a GraphQL call that paces itself, and its clock. ``ShopifyAdmin`` is one; the helpers do not import
it, so the client can import them without a cycle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class GraphQL(Protocol):
    sleep: Callable[[float], None]

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        expected_cost: float = 10.0,
        idempotent: bool = True,
    ) -> dict[str, Any]: ...
