"""``/api/ops/...``: the ops API. Thin: one router call.

Two locks: the function key (Functions host) and the caller's Entra ID identity from App Service
Authentication (``X-MS-CLIENT-PRINCIPAL``). A request without a principal is refused (401) so every
recorded action names a person or a service principal; locally the host supplies the headers."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap
from integration.ops.api import Request
from integration.triggers.http import config_error, json_response
from shared.logs import new_correlation
from shared.principal import principal_from_headers
from shared.settings import SettingsError

bp = func.Blueprint()


@bp.function_name("ops_api")
@bp.route(route="ops/{*path}", methods=["GET", "POST", "PUT", "DELETE"], auth_level=func.AuthLevel.FUNCTION)
def ops_api(req: func.HttpRequest) -> func.HttpResponse:
    new_correlation()
    principal = principal_from_headers(req.headers)
    if principal is None:
        return json_response(
            {"error": "no authenticated principal: the ops API needs an Entra ID sign-in (App Service Authentication)"},
            status=401,
        )
    request = Request(req.method, req.route_params.get("path", ""), dict(req.params), req.get_body(), principal)
    try:
        status, body = bootstrap.ops_router().dispatch(bootstrap.storage(), request)
    except SettingsError as error:
        return config_error(error)
    return json_response(body, status=status)
