"""``GET /api/ops/doctor?app_url=…&systems=shopify,fedex,fo``: the preflight as JSON (read-only)."""

from __future__ import annotations

from typing import Any

from integration.doctor import SYSTEMS, run_doctor, summary
from integration.ops.api import ApiError, Request, Route
from shared.settings import get_settings
from shared.storage import Storage


def _doctor(_storage: Storage, request: Request, _args: dict[str, str]) -> Any:
    systems = tuple(s.strip() for s in request.params.get("systems", ",".join(SYSTEMS)).split(",") if s.strip())
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise ApiError(400, f"unknown system(s) {', '.join(unknown)}; known: {', '.join(SYSTEMS)}")
    return summary(run_doctor(get_settings(), request.params.get("app_url", ""), systems))


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "doctor",
        _doctor,
        "Go-live preflight against the configured Shopify, FedEx and F&O (read-only): pass/fail per check "
        "with the fix; app_url= checks that webhooks and the carrier service point at this app",
        ("app_url", "systems"),
    ),
)
