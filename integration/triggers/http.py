"""Small helpers shared by the HTTP triggers."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(payload, default=str), status_code=status, headers=headers, mimetype="application/json"
    )


def config_error(error: Exception) -> func.HttpResponse:
    # A missing or malformed setting: 503 so Shopify retries once it is fixed, and the message names
    # the setting (never its value).
    return json_response({"status": 503, "reason": str(error)}, status=503, headers={"Retry-After": "60"})
