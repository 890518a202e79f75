"""HTTP routing like the Functions host: ``/<routePrefix>/<route>`` with route templates
(``{id}``, ``{id:int}``, ``{id?}``, ``{*rest}``), methods, auth levels (function keys in ``code``
or ``x-functions-key``), and the admin endpoint ``POST /admin/functions/<name>`` that runs a
non-HTTP function on demand (master key)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.host.config import disabled
from sandbox.host.loader import FunctionSpec

_PARAM = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?(\?)?\}")
_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "alpha": r"[A-Za-z]+",
    "bool": r"(?i:true|false)",
    "guid": r"[0-9A-Fa-f-]{36}",
    "float": r"-?\d+(?:\.\d+)?",
    "double": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
}


def compile_route(template: str) -> re.Pattern[str]:
    pattern, pos = "", 0
    for match in _PARAM.finditer(template):
        literal = template[pos : match.start()]
        catch_all, name, constraint, optional = match.groups()
        if optional and literal.endswith("/"):
            pattern += re.escape(literal[:-1])
            value = _CONSTRAINTS.get(constraint or "", r"[^/]+")
            pattern += f"(?:/(?P<{name}>{value}))?"
        else:
            pattern += re.escape(literal)
            value = ".*" if catch_all else _CONSTRAINTS.get(constraint or "", r"[^/]+")
            pattern += f"(?P<{name}>{value})" + ("?" if optional else "")
        pos = match.end()
    pattern += re.escape(template[pos:])
    return re.compile(f"^{pattern}/?$", re.IGNORECASE)


@dataclass
class HttpRoute:
    spec: FunctionSpec
    pattern: re.Pattern[str]
    methods: set[str] | None
    auth_level: str  # anonymous | function | admin


class Keys:
    def __init__(self, function_key: str, master_key: str) -> None:
        self.function_key = function_key
        self.master_key = master_key

    def allows(self, level: str, given: str) -> bool:
        if level == "anonymous":
            return True
        if not given:
            return False
        if level == "admin":
            return given == self.master_key
        return given in (self.function_key, self.master_key)


def given_key(request: Request) -> str:
    return request.headers.get("x-functions-key") or request.query_params.get("code", "")


def build_routes(specs: list[FunctionSpec], prefix: str) -> list[HttpRoute]:
    routes = []
    for spec in specs:
        if spec.trigger_type != "httpTrigger":
            continue
        trigger = spec.trigger
        template = (trigger.route or spec.name).strip("/")
        full = f"{prefix}/{template}" if prefix else template
        methods = {m.value if hasattr(m, "value") else str(m) for m in trigger.methods} if trigger.methods else None
        level = trigger.auth_level.value if hasattr(trigger.auth_level, "value") else str(trigger.auth_level)
        routes.append(
            HttpRoute(
                spec, compile_route("/" + full), {m.upper() for m in methods} if methods else None, str(level).lower()
            )
        )
    # Literal segments win over parameters and catch-alls, as in ASP.NET routing.
    return sorted(routes, key=lambda r: ("{*" in (r.spec.trigger.route or ""), (r.spec.trigger.route or "").count("{")))


async def to_func_request(request: Request, route_params: dict[str, str]) -> func.HttpRequest:
    body = await request.body()
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers=dict(request.headers),
        params=dict(request.query_params),
        route_params={k: v for k, v in route_params.items() if v is not None},
        body=body,
    )


def to_response(value: Any) -> Response:
    if isinstance(value, func.HttpResponse):
        headers = {k: v for k, v in value.headers.items() if k.lower() != "content-length"}
        return Response(
            content=value.get_body(),
            status_code=value.status_code,
            headers=headers,
            media_type=value.mimetype + (f"; charset={value.charset}" if value.charset else ""),
        )
    if value is None:
        return Response(status_code=204)
    if isinstance(value, (str, bytes)):
        return Response(content=value, status_code=200)
    return JSONResponse(value)


def match(routes: list[HttpRoute], method: str, path: str) -> tuple[HttpRoute | None, dict[str, str], bool]:
    """(route, params, path_matched_but_method_not_allowed)."""
    wrong_method = False
    for route in routes:
        found = route.pattern.match(path)
        if not found:
            continue
        if route.methods is not None and method.upper() not in route.methods:
            wrong_method = True
            continue
        if disabled(route.spec.name):
            continue
        return route, found.groupdict(), False
    return None, {}, wrong_method


def admin_input(body: bytes) -> str:
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode(errors="replace")
    return str(data.get("input", "")) if isinstance(data, dict) else ""
