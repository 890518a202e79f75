"""The ops API: JSON over HTTP under ``/api/ops/`` (Entra ID through App Service Authentication, plus a
function key), one small router.

The router is built once, explicitly, by ``integration.bootstrap.ops_router()`` from this module's
routes and each flow's route list; nothing adds routes as a side effect of an import.

Every operation is a plain function of the storage (and settings) so the CLI calls the same code.
The OpenAPI document (``GET /api/ops/openapi.json``) is built from the same route table. Every
operation that changes something (POST, PUT, DELETE) is written to the audit log (entity ``ops``,
partitioned by the caller) with the caller's principal, its parameters and the answer's status.
Malformed input (a body that is not a JSON object, an id longer than a Table key, a value larger than
a Table property) is a 4xx with a reason, never a 5xx.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from integration.cases import ExceptionStore
from integration.ops import views
from integration.ops.queues import depths, replay_poison
from integration.ops.resync import RetryHandler, UnknownEntity, request_resync
from shared import queues
from shared.audit import AuditLog
from shared.limits import MAX_ID_CHARS, bad_id, json_problem, table_key_too_long
from shared.principal import Principal
from shared.storage import Storage

MAX_BODY_BYTES = 256 * 1024
MUTATING = frozenset({"POST", "PUT", "DELETE"})


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
    principal: Principal | None = None

    def json(self) -> Any:
        if not self.body:
            return {}
        if len(self.body) > MAX_BODY_BYTES:
            raise ApiError(413, f"body is larger than {MAX_BODY_BYTES} bytes")
        try:
            data = json.loads(self.body)
        except (ValueError, RecursionError):
            raise ApiError(400, "body is not valid JSON") from None
        problem = json_problem(data)
        if problem:
            raise ApiError(400, problem)
        return data

    def json_object(self) -> dict[str, Any]:
        data = self.json()
        if not isinstance(data, dict):
            raise ApiError(400, f"body must be a JSON object, not {type(data).__name__}")
        return data

    def flag(self, name: str) -> bool:
        return self.params.get(name, "").lower() in ("1", "true", "yes")

    def moment(self, name: str, default: datetime) -> datetime:
        """An ISO 8601 date-time parameter (``Z`` allowed; a naive value is UTC), else ``default``."""
        value = self.params.get(name)
        if not value:
            return default
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ApiError(400, f"{name} must be an ISO 8601 date or time, e.g. 2026-11-20T00:00:00Z") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

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


MAX_RETRY_ITEMS = 500


def _items(request: Request, args: dict[str, str]) -> list[dict[str, str]]:
    """The documents to retry: the path's one, or the body's ``items`` (validated before any is retried)."""
    if args:
        return [{"entity": args["entity"], "id": args["id"]}]
    items = request.json_object().get("items", [])
    if not isinstance(items, list) or not items:
        raise ApiError(400, 'body must be {"items": [{"entity": "order", "id": "..."}]}')
    if len(items) > MAX_RETRY_ITEMS:
        raise ApiError(413, f"at most {MAX_RETRY_ITEMS} items per call")
    checked = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("entity"), str | int):
            raise ApiError(400, "each item needs entity and id")
        if not isinstance(item.get("id"), str | int) or isinstance(item.get("id"), bool):
            raise ApiError(400, "each item needs entity and id")
        entity, entity_id = str(item["entity"]), str(item["id"])
        problem = bad_id(entity, "entity") or bad_id(entity_id, "id")
        if problem:
            raise ApiError(400, problem)
        checked.append({"entity": entity, "id": entity_id})
    return checked


def _retry(storage: Storage, request: Request, args: dict[str, str], handlers: Mapping[str, RetryHandler]) -> Any:
    items = _items(request, args)
    if request.flag("dry_run"):
        return {"dry_run": True, "would_retry": items}
    results = []
    for item in items:
        try:
            outcome = request_resync(storage, item["entity"], item["id"], "retry requested by ops", handlers)
            results.append({**item, "ok": True, "result": outcome})
        except ValueError as error:  # an unknown entity, or an id its handler cannot read
            results.append({**item, "ok": False, "error": str(error)})
    return {"results": results}


def _retry_many(storage: Storage, request: Request, args: dict[str, str], handlers: Mapping[str, RetryHandler]) -> Any:
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
            request.principal,
        )
        if not records:
            return {"results": []}
    return _retry(storage, request, {}, handlers)


def _resync(storage: Storage, request: Request, args: dict[str, str], handlers: Mapping[str, RetryHandler]) -> Any:
    try:
        return {"result": request_resync(storage, args["entity"], args["id"], "resync requested by ops", handlers)}
    except UnknownEntity as error:
        raise ApiError(404, str(error)) from None


def _queue_name(args: dict[str, str]) -> str:
    if args["queue"] not in queues.ALL:
        raise ApiError(404, f"unknown queue {args['queue']!r}; known: {', '.join(queues.ALL)}")
    return args["queue"]


def _replay_poison(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    return replay_poison(storage, _queue_name(args), request.int("limit", 32), request.flag("dry_run"))


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "dashboard",
        lambda s, r, a: views.dashboard(s, r.params.get("day")),
        "Counts for today (or ?day=YYYY-MM-DD): synced, exceptions by reason, queues, poison, rate cache",
        ("day",),
    ),
    Route("GET", "exceptions", _exceptions, "List exceptions", ("entity", "status", "reason", "limit")),
    Route("GET", "exceptions/{entity}/{id}", _exception, "One exception"),
    Route(
        "GET",
        "timeline/{entity}/{id}",
        lambda s, r, a: views.timeline(s, a["entity"], a["id"]),
        "A document's timeline across Shopify, the integration and F&O",
    ),
    Route("GET", "queues", lambda s, r, a: depths(s), "Queue and poison queue depths"),
    Route(
        "POST",
        "queues/{queue}/replay-poison",
        _replay_poison,
        "Move poison messages back to their queue",
        ("limit", "dry_run"),
    ),
)


def retry_routes(handlers: Mapping[str, RetryHandler]) -> list[Route]:
    """Retry and resync, with the flows' own retry handlers (entity -> handler) for documents that are
    not put back on a queue (a packing slip is synced again at once)."""
    return [
        Route(
            "POST",
            "exceptions/retry",
            lambda s, r, a: _retry_many(s, r, a, handlers),
            "Retry many: body {items:[{entity,id}]}, or ?entity=&reason= (?dry_run=true previews either form)",
            ("entity", "reason", "dry_run"),
        ),
        Route(
            "POST",
            "exceptions/{entity}/{id}/retry",
            lambda s, r, a: _retry(s, r, a, handlers),
            "Retry one blocked document",
            ("dry_run",),
        ),
        Route(
            "POST",
            "resync/{entity}/{id}",
            lambda s, r, a: _resync(s, r, a, handlers),
            "Run a document through its flow again (by Shopify id)",
        ),
    ]


def _check_args(args: dict[str, str]) -> None:
    for name, value in args.items():
        problem = bad_id(value, name, MAX_ID_CHARS * 4)
        if problem or table_key_too_long(value):
            raise ApiError(400, problem or f"{name} is longer than a Table key (1 KiB)")


class Router:
    """The ops API's routes, in order (the first whose template and method match answers)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)
        seen: set[tuple[str, str]] = set()
        for route in self.routes:
            key = (route.method, route.template)
            if key in seen:
                raise ValueError(f"ops route {route.method} {route.template} is listed twice")
            seen.add(key)

    def dispatch(self, storage: Storage, request: Request) -> tuple[int, Any]:
        path = request.path.strip("/")
        allowed = False
        for route in self.routes:
            found = route.pattern.match(path)
            if not found:
                continue
            if route.method != request.method:
                allowed = True
                continue
            args = found.groupdict()
            try:
                _check_args(args)
                status, body = 200, route.handler(storage, request, args)
            except ApiError as error:
                status, body = error.status, {"error": str(error)}
            if request.method in MUTATING:
                _audit(storage, request, route, path, status)
            return status, body
        if path == "openapi.json" and request.method == "GET":
            return 200, self.openapi()
        return (405, {"error": "method not allowed"}) if allowed else (404, {"error": f"no ops route {path!r}"})

    def openapi(self) -> dict[str, Any]:
        return openapi(self.routes)


def _audit(storage: Storage, request: Request, route: Route, path: str, status: int) -> None:
    """One audit row per ops action: who (principal), what (method, route, path, parameters), result."""
    principal = request.principal or Principal("unknown")
    AuditLog(storage).record(
        "ops",
        principal.name,
        f"{request.method} {route.template}",
        "done" if status < 400 else "refused",
        target=path[:1024],
        details={
            "principal": principal.as_dict(),
            "path": path[:1024],
            "params": {k: v[:200] for k, v in list(request.params.items())[:20]},
            "status": status,
        },
    )


def openapi(routes: Iterable[Route]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for route in routes:
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
                "401": {"description": "Not authenticated (Entra ID principal or function key missing)"},
                "413": {"description": "Body too large"},
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
