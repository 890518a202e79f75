"""POST /api/shopify/carrier-rates: Shopify's CarrierService callback, answered with FedEx rates.

Anonymous at the Functions level: the Shopify HMAC authenticates. Shopify signs carrier-service
callbacks with ``X-Shopify-Hmac-Sha256`` like webhooks; a missing or wrong signature answers 401 (Shopify
then shows its backup rates), unless ``CARRIER_RATES_ALLOW_UNSIGNED=true`` (a documented risk: anyone
could then use the app as a FedEx proxy). The body is validated (bounded quantities and lines) before
any packing. The service never raises for FedEx trouble: it answers fallback rates inside its deadline.
"""

from __future__ import annotations

import random
import time

import azure.functions as func

from integration import bootstrap
from integration.rates.quotes import quote_row, rate_cart_key
from integration.rates.request import InvalidRateRequest, parse_rate_request
from integration.triggers.http import config_error, json_response
from integration.webhooks import signature
from shared import meter
from shared.logs import get_logger, log_event
from shared.settings import Settings, SettingsError

bp = func.Blueprint()
log = get_logger(__name__)


def _refuse_signature(req: func.HttpRequest, body: bytes, settings: Settings) -> func.HttpResponse | None:
    """401 for a missing or wrong signature (unless unsigned calls are explicitly allowed); a present
    signature is always checked."""
    given = req.headers.get("X-Shopify-Hmac-Sha256")
    if given is None and settings.CARRIER_RATES_ALLOW_UNSIGNED:
        return None
    secrets = settings.webhook_secrets()
    if not secrets:
        settings.require("SHOPIFY_API_SECRET")
        raise SettingsError("missing setting: SHOPIFY_API_SECRET")
    if not given:
        return json_response({"status": 401, "reason": "missing X-Shopify-Hmac-Sha256 header"}, status=401)
    if not signature.verify(body, given, secrets):
        return json_response({"status": 401, "reason": "invalid HMAC signature"}, status=401)
    return None


@bp.function_name("carrier_rates")
@bp.route(route="shopify/carrier-rates", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def carrier_rates(req: func.HttpRequest) -> func.HttpResponse:
    started, cpu = time.perf_counter(), meter.start()
    body = req.get_body()
    try:
        settings = bootstrap.settings()
        refused = _refuse_signature(req, body, settings)
        if refused is not None:
            return refused
        rate = parse_rate_request(body)
        service = bootstrap.rate_service()
    except InvalidRateRequest as error:
        return json_response({"status": 400, "reason": str(error)}, status=400)
    except SettingsError as error:
        return config_error(error, public=True)
    outcome = await service.rates(rate)
    latency = (time.perf_counter() - started) * 1000
    correlation = f"{random.getrandbits(128):032x}"  # a log id, not a secret (uuid4 is a syscall)
    log_event(
        log,
        "rates.answered",
        source=outcome.source,
        reason=outcome.reason or None,
        rates=len(outcome.body.get("rates", [])),
        latency_ms=round(latency, 1),
        correlation_id=correlation,
        shopify_timeout_ms=req.headers.get("X-Shopify-Timeout"),
    )
    bootstrap.quote_recorder().add(
        quote_row(
            source=outcome.source,
            reason=outcome.reason,
            latency_ms=latency,
            body=outcome.body,
            destination_country=rate.destination.country,
            destination_postal=rate.destination.postal_code,
            currency=rate.currency,
            correlation_id=correlation,
            cart=rate_cart_key(rate),
        )
    )  # appended in blocks off the response path
    response = json_response(outcome.body)
    meter.stop(f"rates.{outcome.source}", cpu)  # the function's own CPU, sampled (benchmarks)
    return response
