"""Small helpers shared by the HTTP triggers."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func

from shared.logs import get_logger, log_event

_log = get_logger(__name__)


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(payload, default=str), status_code=status, headers=headers, mimetype="application/json"
    )


def config_error(error: Exception, *, public: bool = False) -> func.HttpResponse:
    """A missing or malformed setting: 503 so Shopify (or F&O) retries once it is fixed.

    Only an authenticated caller (function key, Easy Auth principal) is told which setting; an
    anonymous caller learns nothing about the configuration. The log line always names it (never its
    value)."""
    log_event(_log, "config.missing", reason=str(error), public=public)
    reason = "the integration is not configured; an operator has been told" if public else str(error)
    return json_response({"status": 503, "reason": reason}, status=503, headers={"Retry-After": "60"})
