"""POST /api/shopify/webhooks: every Shopify webhook topic. Anonymous: the HMAC authenticates."""

from __future__ import annotations

import azure.functions as func

from integration import bootstrap
from integration.triggers.http import config_error, json_response
from shared.logs import new_correlation
from shared.settings import SettingsError

bp = func.Blueprint()


@bp.function_name("shopify_webhooks")
@bp.route(route="shopify/webhooks", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def shopify_webhooks(req: func.HttpRequest) -> func.HttpResponse:
    new_correlation()
    try:
        result = bootstrap.webhook_intake().handle(dict(req.headers), req.get_body())
    except SettingsError as error:
        return config_error(error, public=True)
    return json_response(result.body(), status=result.status, headers=result.headers or None)
