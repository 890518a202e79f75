"""POST /api/d365/events/packing-slip: an F&O business event (custom "packing slip posted") that
syncs that one packing slip now instead of at the next timer run. Function-key protected: F&O's
HTTPS endpoint is configured with the URL including ``?code=<function key>``."""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from integration.fulfillment.entry import handle_packing_slip_event
from integration.triggers.http import config_error, json_response
from shared.logs import correlation_id
from shared.settings import SettingsError

bp = func.Blueprint()


@bp.function_name("fulfillment_events")
@bp.route(route="d365/events/packing-slip", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def fulfillment_events(req: func.HttpRequest) -> func.HttpResponse:
    correlation_id.set(f"d365-event-{uuid.uuid4().hex[:12]}")
    try:
        answer = handle_packing_slip_event(
            req.get_body(), bootstrap.fulfillment_sync(), bootstrap.settings().D365_LEGAL_ENTITY
        )
    except SettingsError as error:
        return config_error(error)
    return json_response(
        answer.body, status=answer.status, headers={"Retry-After": "60"} if answer.status == 503 else None
    )
