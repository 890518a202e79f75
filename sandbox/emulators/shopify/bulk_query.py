"""Bulk query operations: ``bulkOperationRunQuery``, ``bulkOperation(id:)`` and the deprecated
``currentBulkOperation``, with the JSONL result served by the emulator.

As Shopify documents it (shopify.dev, "Perform bulk operations with the GraphQL Admin API"):

* the query is a document without variables that must contain at least one connection; every page
  of a connection is read (pagination arguments are ignored here); at most five connections, nested
  at most two levels; a parent of a nested connection must select ``id``;
* every object of a connection becomes one JSONL line; an object of a nested connection carries
  ``__parentId`` and follows its parent;
* the operation goes ``CREATED`` → ``RUNNING`` → ``COMPLETED`` (here: one step per status read),
  ``url`` is null when nothing matched; a failure ends ``FAILED`` with an ``errorCode``.

The emulator runs the query when the mutation arrives (a snapshot) and keeps the file in memory.
``PUT /_emulator/bulk {"fail_next": "TIMEOUT"}`` makes the next operation end ``FAILED`` with that
code. ``BulkOperation``, its enums and the two query fields are declared once, in ``catalog_sdl.py``
(bulk mutations); this module adds the query mutation and answers the query fields for its own
operations, handing other ids to ``bulk.py``.
"""

from __future__ import annotations

import contextvars
import json
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    execute,
    get_named_type,
    parse,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.emulators.shopify import bulk
from sandbox.emulators.shopify.published import check, has_schema, published_schema
from sandbox.emulators.shopify.search import UNBOUNDED
from sandbox.emulators.shopify.store import Store
from sandbox.emulators.shopify.webhooks import DEFAULT_API_VERSION
from sandbox.emulators.shopify.wire import dumps, json_response

Info = GraphQLResolveInfo

SDL = """
enum BulkOperationUserErrorCode { INVALID LIMIT_REACHED OPERATION_IN_PROGRESS }
type BulkOperationUserError implements DisplayableError { code: BulkOperationUserErrorCode field: [String!]
  message: String! }
type BulkOperationRunQueryPayload { bulkOperation: BulkOperation userErrors: [BulkOperationUserError!]! }
extend type Mutation {
  bulkOperationRunQuery(query: String!, groupObjects: Boolean! = false): BulkOperationRunQueryPayload
}
"""

MAX_CONNECTIONS, MAX_DEPTH = 5, 2
FIRST_NUMBER = 900_000_001  # bulk query ids, apart from the bulk mutations' (sandbox/emulators/shopify/bulk.py)
RUNNING_LIMIT = 5  # bulk query operations a shop may run at once (2026-01 and later)

# The emulator's own base URL for the download link, set per request by the GraphQL endpoint.
BASE_URL: contextvars.ContextVar[str] = contextvars.ContextVar("bulk_base_url", default="http://127.0.0.1/")


@dataclass
class Operation:
    number: int
    query: str
    created_at: str
    lines: list[dict[str, Any]]
    roots: int
    fail_with: str | None = None
    reads: int = 0
    completed_at: str | None = None
    base_url: str = ""

    @property
    def gid(self) -> str:
        return f"gid://shopify/BulkOperation/{self.number}"

    @property
    def status(self) -> str:
        steps = ["CREATED", "RUNNING", "FAILED" if self.fail_with else "COMPLETED"]
        return steps[min(self.reads, 2)]


@dataclass
class Operations:
    by_number: dict[int, Operation] = field(default_factory=dict)
    fail_next: str | None = None


_BY_STORE: weakref.WeakKeyDictionary[Store, Operations] = weakref.WeakKeyDictionary()


def operations_of(store: Store) -> Operations:
    if store not in _BY_STORE:
        _BY_STORE[store] = Operations()
    return _BY_STORE[store]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _view(op: Operation, advance: bool) -> dict[str, Any]:
    if advance:
        op.reads += 1
        if op.status in ("COMPLETED", "FAILED") and not op.completed_at:
            op.completed_at = _now()
    done = op.status == "COMPLETED"
    body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in op.lines).encode()
    return {
        "id": op.gid,
        "status": op.status,
        "errorCode": op.fail_with if op.status == "FAILED" else None,
        "createdAt": op.created_at,
        "completedAt": op.completed_at,
        "objectCount": len(op.lines) if done else 0,
        "rootObjectCount": op.roots if done else 0,
        "fileSize": len(body) if done and op.lines else None,
        "url": f"{op.base_url}_emulator/bulk/{op.number}.jsonl" if done and op.lines else None,
        "partialDataUrl": None,
        "query": op.query,
        "type": "QUERY",
    }


def _user_error(message: str, code: str = "INVALID") -> dict[str, Any]:
    return {"bulkOperation": None, "userErrors": [{"field": ["query"], "message": message, "code": code}]}


def _connections(info: Info, selection: Any, parent_type: Any, depth: int, found: list[int]) -> str | None:
    """Checks Shopify's bulk rules over the selection; returns a refusal message or None."""
    for node in selection.selections:
        if not isinstance(node, FieldNode) or node.name.value.startswith("__"):
            continue
        field_def = parent_type.fields.get(node.name.value)
        if field_def is None:
            continue
        named = get_named_type(field_def.type)
        is_connection = named.name.endswith("Connection")
        level = depth + 1 if is_connection else depth
        if is_connection:
            found.append(level)
            if level > MAX_DEPTH:
                return f"Bulk queries cannot contain connections with a nesting depth greater than {MAX_DEPTH}."
        if node.selection_set is not None and hasattr(named, "fields"):
            problem = _connections(info, node.selection_set, named, level, found)
            if problem:
                return problem
    return None


def _flatten(value: Any, parent: str | None, out: list[dict[str, Any]], roots: list[int]) -> None:
    """Connection items become lines (children after their parent, with ``__parentId``)."""
    if isinstance(value, list):
        for item in value:
            _flatten(item, parent, out, roots)
        return
    if not isinstance(value, dict):
        return
    for key in list(value):
        inner = value[key]
        if isinstance(inner, dict) and ("edges" in inner or "nodes" in inner):
            del value[key]
            items = [e.get("node") for e in inner.get("edges") or []] or list(inner.get("nodes") or [])
            for item in items:
                if not isinstance(item, dict):
                    continue
                line = dict(item)
                if parent is not None:
                    line["__parentId"] = parent
                else:
                    roots.append(1)
                out.append(line)
                children: list[dict[str, Any]] = []
                _flatten(line, line.get("id"), children, roots)
                out.extend(children)
        elif isinstance(inner, dict | list):
            _flatten(inner, parent, out, roots)


def _run_query(_root: Any, info: Info, query: str, groupObjects: bool = False) -> dict[str, Any]:
    ops = operations_of(info.context.store)
    running = [o for o in ops.by_number.values() if o.status in ("CREATED", "RUNNING")]
    if len(running) >= RUNNING_LIMIT:
        return _user_error(f"A shop can run at most {RUNNING_LIMIT} bulk query operations at once.", "LIMIT_REACHED")
    try:
        document = parse(query)
    except GraphQLError as error:
        return _user_error(f"Invalid bulk query: {error.message}")
    version = info.context.version if has_schema(info.context.version) else DEFAULT_API_VERSION
    refused = check(published_schema(version), document, None)
    if refused:
        return _user_error("Invalid bulk query: " + "; ".join(e.message for e in refused))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation.value != "query" or operations[0].variable_definitions:
        return _user_error("Bulk queries must be a single query operation without variables.")
    found: list[int] = []
    problem = _connections(info, operations[0].selection_set, info.schema.query_type, 0, found)
    if problem:
        return _user_error(problem)
    if not found:
        return _user_error("Bulk queries must contain at least one connection.")
    if len(found) > MAX_CONNECTIONS:
        return _user_error(f"Bulk queries cannot contain more than {MAX_CONNECTIONS} connections.")
    token = UNBOUNDED.set(True)
    try:
        result = execute(info.schema, document, context_value=info.context)
    finally:
        UNBOUNDED.reset(token)
    if result.errors or not isinstance(result.data, dict):  # type: ignore[union-attr]
        messages = "; ".join(e.message for e in result.errors or [])  # type: ignore[union-attr]
        return _user_error(f"Invalid bulk query: {messages}")
    lines: list[dict[str, Any]] = []
    roots: list[int] = []
    _flatten(result.data, None, lines, roots)  # type: ignore[union-attr]
    if any("__parentId" in line for line in lines) and any(
        "id" not in line for line in lines if "__parentId" not in line
    ):
        return _user_error("The parent 'node' field for a nested connection must select the 'id' field.")
    number = max(ops.by_number, default=FIRST_NUMBER - 1) + 1
    op = Operation(number, query, _now(), lines, len(roots), fail_with=ops.fail_next, base_url=BASE_URL.get())
    ops.fail_next = None
    ops.by_number[number] = op
    return {"bulkOperation": _view(op, advance=False), "userErrors": []}


def _bulk_operation(_root: Any, info: Info, id: str) -> Any:
    tail = id.rsplit("/", 1)[-1] if id.startswith("gid://shopify/BulkOperation/") else ""
    op = operations_of(info.context.store).by_number.get(int(tail)) if tail.isdigit() else None
    return _view(op, advance=True) if op else bulk.bulk_operation(_root, info, id)  # a bulk mutation's


def _current(_root: Any, info: Info, type: str = "QUERY") -> Any:
    ops = operations_of(info.context.store).by_number
    if type != "QUERY" or not ops:
        return bulk.current_bulk_operation(_root, info, type)
    return _view(ops[max(ops)], advance=True)


def _field(name: str) -> Any:
    """A BulkOperation field for both kinds: this module's views (dicts) and bulk.py's BulkOp."""
    theirs = bulk.TYPE_FIELDS["BulkOperation"].get(name)

    def resolve(op: Any, info: Info) -> Any:
        if isinstance(op, dict):
            return op.get(name)
        return theirs(op, info) if theirs else getattr(op, name, None)

    return resolve


FIELDS = (
    "id",
    "status",
    "type",
    "errorCode",
    "createdAt",
    "completedAt",
    "objectCount",
    "rootObjectCount",
    "fileSize",
    "url",
    "partialDataUrl",
    "query",
)

TYPES: dict[str, dict[str, Any]] = {
    "BulkOperation": {name: _field(name) for name in FIELDS},
    "QueryRoot": {"bulkOperation": _bulk_operation, "currentBulkOperation": _current},
    "Mutation": {"bulkOperationRunQuery": _run_query},
}


async def download(request: Request) -> Response:
    store = request.app.state.emulator.store
    op = operations_of(store).by_number.get(int(request.path_params["number"]))
    if op is None or op.status != "COMPLETED":
        return Response(b"NoSuchKey", status_code=404, media_type="application/xml")
    body = b"".join(dumps(line) + b"\n" for line in op.lines)
    return Response(body, media_type="application/jsonl")


async def settings(request: Request) -> Response:
    """``{"fail_next": "TIMEOUT" | "ACCESS_DENIED" | "INTERNAL_SERVER_ERROR" | null}``."""
    ops = operations_of(request.app.state.emulator.store)
    if request.method == "PUT":
        body = json.loads(await request.body() or b"{}")
        code = body.get("fail_next")
        if code not in (None, "ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT"):
            return json_response({"error": f"unknown errorCode {code!r}"}, 400)
        ops.fail_next = code
    return json_response({"fail_next": ops.fail_next, "operations": len(ops.by_number)})


ROUTES = [
    Route("/_emulator/bulk", settings, methods=["GET", "PUT"]),
    Route("/_emulator/bulk/{number:int}.jsonl", download, methods=["GET"]),
]
