"""The ops API: JSON over HTTP under ``/api/ops/`` (function key), one small router.

Every operation is a plain function of the storage (and settings) so the CLI calls the same code.
The OpenAPI document (``GET /api/ops/openapi.json``) is built from the same route table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from integration.exceptions import ExceptionStore
from integration.inbox import replay_parked
from integration.ops import views
from integration.ops.queues import depths, replay_poison
from integration.ops.resync import UnknownEntity, request_resync
from shared import queues
from shared.storage import Storage


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: bytes

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise ApiError(400, "body is not valid JSON") from None

    def flag(self, name: str) -> bool:
        return self.params.get(name, "").lower() in ("1", "true", "yes")

    def int(self, name: str, default: int, maximum: int = 1000) -> int:
        value = self.params.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ApiError(400, f"{name} must be a whole number") from None
        if not 1 <= number <= maximum:
            raise ApiError(400, f"{name} must be between 1 and {maximum}")
        return number


Handler = Callable[[Storage, Request, dict[str, str]], Any]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    summary: str
    params: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # An {id} may hold '/' (a refund is "<order id>/<refund id>"); other parameters are one segment.
        pattern = re.sub(r"\{id\}", r"(?P<id>.+?)", self.template)
        self.pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")


def _exceptions(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    status = request.params.get("status", "open")
    records = ExceptionStore(storage).list(
        entity=request.params.get("entity") or None,
        status=None if status == "all" else status,
        reason_code=request.params.get("reason") or None,
        limit=request.int("limit", 100),
    )
    return {"items": [r.to_dict() for r in records], "count": len(records)}


def _exception(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    record = ExceptionStore(storage).get(args["entity"], args["id"])
    if record is None:
        raise ApiError(404, f"no exception for {args['entity']} {args['id']}")
    return asdict(record)


def _retry(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    items = [{"entity": args["entity"], "id": args["id"]}] if args else (request.json() or {}).get("items", [])
    if not isinstance(items, list) or not items:
        raise ApiError(400, 'body must be {"items": [{"entity": "order", "id": "..."}]}')
    results = []
    for item in items[:500]:
        try:
            outcome = request_resync(storage, str(item["entity"]), str(item["id"]), "retry requested by ops")
            results.append({**item, "ok": True, "result": outcome})
        except (KeyError, TypeError):
            raise ApiError(400, "each item needs entity and id") from None
        except ValueError as error:  # an unknown entity, or an id its handler cannot read
            results.append({**item, "ok": False, "error": str(error)})
    return {"results": results}


def _retry_many(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    if request.params.get("reason") or request.params.get("entity"):
        records = ExceptionStore(storage).list(
            entity=request.params.get("entity") or None, reason_code=request.params.get("reason") or None, limit=500
        )
        if request.flag("dry_run"):
            return {"dry_run": True, "would_retry": [{"entity": r.entity, "id": r.entity_id} for r in records]}
        request = Request(
            request.method,
            request.path,
            {},
            json.dumps({"items": [{"entity": r.entity, "id": r.entity_id} for r in records]}).encode(),
        )
        if not records:
            return {"results": []}
    return _retry(storage, request, {})


def _resync(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    try:
        return {"result": request_resync(storage, args["entity"], args["id"], "resync requested by ops")}
    except UnknownEntity as error:
        raise ApiError(404, str(error)) from None


def _queue_name(args: dict[str, str]) -> str:
    if args["queue"] not in queues.ALL:
        raise ApiError(404, f"unknown queue {args['queue']!r}; known: {', '.join(queues.ALL)}")
    return args["queue"]


def _replay_poison(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    return replay_poison(storage, _queue_name(args), request.int("limit", 32), request.flag("dry_run"))


def _replay_parked(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    return replay_parked(storage, _queue_name(args), request.int("limit", 1000), request.flag("dry_run"))


ROUTES: list[Route] = [
    Route(
        "GET",
        "dashboard",
        lambda s, r, a: views.dashboard(s, r.params.get("day")),
        "Counts for today (or ?day=YYYY-MM-DD): synced, exceptions by reason, queues, poison, parked, rate cache",
        ("day",),
    ),
    Route("GET", "exceptions", _exceptions, "List exceptions", ("entity", "status", "reason", "limit")),
    Route(
        "POST",
        "exceptions/retry",
        _retry_many,
        "Retry many: body {items:[{entity,id}]}, or ?entity=&reason= (with ?dry_run=true to preview)",
        ("entity", "reason", "dry_run"),
    ),
    Route("GET", "exceptions/{entity}/{id}", _exception, "One exception"),
    Route("POST", "exceptions/{entity}/{id}/retry", _retry, "Retry one blocked document"),
    Route(
        "GET",
        "timeline/{entity}/{id}",
        lambda s, r, a: views.timeline(s, a["entity"], a["id"]),
        "A document's timeline across Shopify, the integration and F&O",
    ),
    Route("POST", "resync/{entity}/{id}", _resync, "Run a document through its flow again (by Shopify id)"),
    Route("GET", "queues", lambda s, r, a: depths(s), "Queue and poison queue depths"),
    Route(
        "POST",
        "queues/{queue}/replay-poison",
        _replay_poison,
        "Move poison messages back to their queue",
        ("limit", "dry_run"),
    ),
    Route(
        "POST",
        "queues/{queue}/replay-parked",
        _replay_parked,
        "Re-enqueue envelopes parked in the inbox",
        ("limit", "dry_run"),
    ),
]


def extend(route: Route) -> None:
    """Flows add their operations (mappings, reconciliation, inventory resync) here."""
    ROUTES.append(route)


def dispatch(storage: Storage, request: Request) -> tuple[int, Any]:
    path = request.path.strip("/")
    allowed = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if not found:
            continue
        if route.method != request.method:
            allowed = True
            continue
        try:
            return 200, route.handler(storage, request, found.groupdict())
        except ApiError as error:
            return error.status, {"error": str(error)}
    if path == "openapi.json" and request.method == "GET":
        return 200, openapi()
    return (405, {"error": "method not allowed"}) if allowed else (404, {"error": f"no ops route {path!r}"})


def openapi() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in ROUTES:
        names = re.findall(r"\{(\w+)\}", route.template)
        parameters = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        parameters += [
            {"name": p, "in": "query", "required": False, "schema": {"type": "string"}} for p in route.params
        ]
        operation: dict[str, Any] = {
            "summary": route.summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": {"description": "Bad request"},
                "401": {"description": "Function key missing"},
                "404": {"description": "Not found"},
            },
        }
        if route.method in ("POST", "PUT"):
            operation["requestBody"] = {
                "required": False,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        paths.setdefault(f"/api/ops/{route.template}", {})[route.method.lower()] = operation
    return {
        "openapi": "3.0.3",
        "info": {"title": "Shopify, F&O and FedEx integration: ops API", "version": "1"},
        "components": {
            "securitySchemes": {"functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"}}
        },
        "security": [{"functionKey": []}],
        "paths": paths,
    }
