"""Bulk query operations (``bulkOperationRunQuery``) for reads too large to page through.

Shopify runs the query asynchronously: the app starts it, polls ``bulkOperation(id:)`` until the
status is final, then downloads the JSONL file at ``url``. Every object of a connection is one line;
an object of a nested connection carries ``__parentId``, the id of the object it belongs to, and
comes after its parent (shopify.dev, "Perform bulk operations with the GraphQL Admin API").
``currentBulkOperation`` is deprecated in 2026-10 (several bulk operations may run at once), so the
app polls its own operation by id.

The download URL is a signed storage link: it is fetched without the Shopify access token.

A bulk operation that does not complete (``FAILED`` with an ``errorCode``, ``CANCELED``,
``EXPIRED``, refused with ``userErrors`` such as ``LIMIT_REACHED``, or still running at the
deadline) raises :class:`BulkOperationFailed`; the order listing then falls back to paging
(``shopify_orders.updated_orders``) and logs why.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from integration.clients.shopify_graphql import GraphQL

RUN = """mutation bulkQueryRun($query: String!) {
  bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message code } }
}"""

POLL = """query bulkQueryStatus($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url partialDataUrl }
}"""

FINAL_FAILURES = {"FAILED", "CANCELED", "CANCELING", "EXPIRED"}
POLL_START, POLL_MAX = 1.0, 10.0  # seconds between polls: start, then doubling up to the maximum
DEADLINE = 30 * 60.0  # give up (and page instead) after this long


class BulkOperationFailed(Exception):
    """The bulk operation did not complete; ``reason`` is safe to log (no shop data)."""

    def __init__(self, reason: str, operation_id: str = "", error_code: str = "") -> None:
        super().__init__(reason)
        self.reason, self.operation_id, self.error_code = reason, operation_id, error_code


def start(admin: GraphQL, query: str) -> str:
    """Start a bulk query; returns the operation id."""
    data = admin.graphql(RUN, {"query": query}, expected_cost=10, idempotent=False)
    payload = data.get("bulkOperationRunQuery") or {}
    errors = payload.get("userErrors") or []
    if errors:
        codes = ",".join(sorted({str(e.get("code") or "") for e in errors}))
        raise BulkOperationFailed(f"bulk query refused ({codes}): {errors[0].get('message')}", error_code=codes)
    operation = payload.get("bulkOperation") or {}
    if not operation.get("id"):
        raise BulkOperationFailed("bulk query answered without an operation")
    return str(operation["id"])


def wait(admin: GraphQL, operation_id: str, deadline: float = DEADLINE) -> dict[str, Any]:
    """Poll until the operation is final; returns it when COMPLETED, raises otherwise."""
    waited, interval = 0.0, POLL_START
    while True:
        operation = (admin.graphql(POLL, {"id": operation_id}, expected_cost=1)).get("bulkOperation")
        if not operation:
            raise BulkOperationFailed("bulk operation not found", operation_id)
        status = str(operation.get("status"))
        if status == "COMPLETED":
            return dict(operation)
        if status in FINAL_FAILURES:
            code = str(operation.get("errorCode") or "")
            raise BulkOperationFailed(f"bulk operation {status} {code}".strip(), operation_id, code)
        if waited >= deadline:
            raise BulkOperationFailed(f"bulk operation still {status} after {int(deadline)} s", operation_id)
        admin.sleep(interval)
        waited += interval
        interval = min(POLL_MAX, interval * 2)


def lines(url: str, timeout: float = 60.0) -> Iterator[dict[str, Any]]:
    """The JSONL result, one object per line, streamed (no Shopify token on this request)."""
    with (
        httpx.Client(timeout=timeout, follow_redirects=True) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code >= 400:
            raise BulkOperationFailed(f"bulk result download answered {response.status_code}")
        for line in response.iter_lines():
            if line.strip():
                yield json.loads(line)


def link(objects: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Top-level objects with their nested-connection objects attached under ``__children``
    (a list, in file order; ask for ``__typename`` to tell kinds apart). Children follow their
    parent in the file, so a parent is yielded once the next top-level object starts."""
    by_id: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    for obj in objects:
        parent_id = obj.pop("__parentId", None)
        if parent_id is None:
            if current is not None:
                yield current
            by_id.clear()  # children never refer back to an earlier top-level object
            current = {**obj, "__children": []}
            if obj.get("id"):
                by_id[str(obj["id"])] = current
            continue
        parent = by_id.get(str(parent_id))
        if parent is None:
            raise BulkOperationFailed("bulk result has a line whose parent is not before it")
        child = {**obj, "__children": []}
        parent["__children"].append(child)
        if obj.get("id"):
            by_id[str(obj["id"])] = child
    if current is not None:
        yield current


def run(admin: GraphQL, query: str, deadline: float = DEADLINE) -> Iterator[dict[str, Any]]:
    """Run a bulk query to the end and yield its linked top-level objects."""
    operation_id = start(admin, query)
    operation = wait(admin, operation_id, deadline)
    url = operation.get("url")
    if not url:  # COMPLETED with nothing matched: Shopify gives no file
        return
    yield from link(lines(str(url)))
