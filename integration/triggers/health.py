"""GET /api/health: liveness plus configuration and storage checks. Anonymous, so it answers only
``{"status": "ok" | "unhealthy"}``; the detailed report is ``GET /api/ops/health`` (authenticated)."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap
from integration.health import public_health
from integration.triggers.http import json_response
from shared.logs import new_correlation

bp = func.Blueprint()


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    new_correlation()
    report = bootstrap.health_report()
    return json_response(public_health(report), status=200 if report["status"] == "ok" else 503)
