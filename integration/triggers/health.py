"""GET /api/health: liveness plus configuration and storage checks. Anonymous; shows no secrets."""

from __future__ import annotations

import azure.functions as func

from integration.health import check_health
from integration.triggers.http import json_response
from shared.logs import new_correlation

bp = func.Blueprint()


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    new_correlation()
    report = check_health()
    return json_response(report, status=200 if report["status"] == "ok" else 503)
