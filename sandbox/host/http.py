"""HTTP routing like the Functions host: ``/<routePrefix>/<route>`` with route templates
(``{id}``, ``{id:int}``, ``{id?}``, ``{*rest}``), methods, auth levels (function keys in ``code``
or ``x-functions-key``), and the admin endpoint ``POST /admin/functions/<name>`` that runs a
non-HTTP function on demand (master key)."""

from __future__ import annotations

import base64
import json
import os
import re
from dataclasses import dataclass

from starlette.requests import Request

from sandbox.host.config import disabled
from sandbox.host.functions import FunctionSpec

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


# App Service Authentication in Azure protects these paths (infra/app/function.bicep) and adds the
# caller's X-MS-CLIENT-PRINCIPAL* headers; the local host stands in for it with LOCAL_DEV_PRINCIPAL.
EASY_AUTH_PREFIXES = ("ops/",)
DEFAULT_LOCAL_PRINCIPAL = "local-developer@localhost"


def is_easy_auth_path(path: str, route_prefix: str) -> bool:
    prefix = f"/{route_prefix}/" if route_prefix else "/"
    return path.startswith(prefix) and path[len(prefix) :].startswith(EASY_AUTH_PREFIXES)


def easy_auth_principal(name: str, provider: str) -> str:
    """An ``X-MS-CLIENT-PRINCIPAL`` value as App Service Authentication sends it: base64 of the JSON
    ``{"auth_typ", "name_typ", "role_typ", "claims": [{"typ", "val"}]}``."""
    document = {
        "auth_typ": provider,
        "name_typ": "preferred_username",
        "role_typ": "roles",
        "claims": [{"typ": "preferred_username", "val": name}, {"typ": "oid", "val": name}],
    }
    return base64.b64encode(json.dumps(document).encode()).decode("ascii")


def with_local_principal(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The headers plus the simulated Easy Auth ones, unless the caller (a test) sent its own."""
    if any(name.lower().startswith("x-ms-client-principal") for name, _ in headers):
        return headers
    name = os.environ.get("LOCAL_DEV_PRINCIPAL", "").strip() or DEFAULT_LOCAL_PRINCIPAL
    return [
        *headers,
        ("x-ms-client-principal-name", name),
        ("x-ms-client-principal-id", name),
        ("x-ms-client-principal-idp", "local"),
        ("x-ms-client-principal", easy_auth_principal(name, "local")),
    ]


def _template(spec: FunctionSpec) -> str:
    return str(spec.trigger.get("route") or spec.name).strip("/")


def build_routes(specs: list[FunctionSpec], prefix: str) -> list[HttpRoute]:
    routes = []
    for spec in specs:
        if spec.trigger_type != "httpTrigger":
            continue
        template = _template(spec)
        full = f"{prefix}/{template}" if prefix else template
        methods = {str(m).upper() for m in spec.trigger.get("methods") or []} or None
        level = str(spec.trigger.get("authLevel") or "function").lower()
        routes.append(HttpRoute(spec, compile_route("/" + full), methods, level))
    # Literal segments win over parameters and catch-alls, as in ASP.NET routing.
    return sorted(routes, key=lambda r: ("{*" in _template(r.spec), _template(r.spec).count("{")))


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
