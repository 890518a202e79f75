"""Ops "sync now" for the catalog: ``POST /api/ops/catalog/sync?full=true|false``. The run is the
timer's (same lease, checkpoint and summary log line ``catalog.sync``); it answers with the summary,
or ``running`` when the run outlasts the HTTP budget (it goes on in the background)."""

from __future__ import annotations

import threading
from typing import Any

from integration.ops.api import Request, Route, extend
from shared.storage import Storage

HTTP_BUDGET_S = 200.0
_registered = False


def _sync_now(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    from integration.catalog.service import run_catalog_sync

    full = request.params.get("full", "false").lower() in ("1", "true", "yes")
    result: list[Any] = []
    worker = threading.Thread(
        target=lambda: result.append(run_catalog_sync(full=full)), daemon=True, name="catalog-sync"
    )
    worker.start()
    worker.join(HTTP_BUDGET_S)
    if not result:
        return {"status": "running", "note": "the run goes on; its summary is logged as catalog.sync"}
    return result[0].fields()


def register() -> None:
    global _registered
    if _registered:
        return
    _registered = True
    extend(
        Route(
            "POST",
            "catalog/sync",
            _sync_now,
            "Run the product and price sync F&O -> Shopify now (full=true ignores the delta checkpoint)",
            ("full",),
        )
    )
