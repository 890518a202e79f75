"""``/api/ops/...``: the ops API (function key). Thin: one router call."""

from __future__ import annotations

import azure.functions as func

from integration.ops.api import Request, dispatch
from integration.ops.flows import register
from integration.triggers.http import config_error, json_response
from shared.logs import new_correlation
from shared.settings import SettingsError
from shared.storage import get_storage

bp = func.Blueprint()
register()


@bp.function_name("ops_api")
@bp.route(route="ops/{*path}", methods=["GET", "POST", "PUT", "DELETE"], auth_level=func.AuthLevel.FUNCTION)
def ops_api(req: func.HttpRequest) -> func.HttpResponse:
    new_correlation()
    request = Request(req.method, req.route_params.get("path", ""), dict(req.params), req.get_body())
    try:
        status, body = dispatch(get_storage(), request)
    except SettingsError as error:
        return config_error(error)
    return json_response(body, status=status)
