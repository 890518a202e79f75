"""Ops "sync now" for the catalog: ``POST /api/ops/catalog/sync?full=true|false``. The run is the
timer's (same lease, checkpoint and summary log line ``catalog.sync``); it answers with the summary,
or ``running`` when the run outlasts the HTTP budget (it goes on in the background)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from integration.catalog.service import CatalogSync
from integration.ops.api import Request, Route

HTTP_BUDGET_S = 200.0


def _sync_now(request: Request, catalog_sync: Callable[[], CatalogSync]) -> Any:
    full = request.params.get("full", "false").lower() in ("1", "true", "yes")
    sync = catalog_sync()  # built here: a missing setting answers now, not in the thread
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(sync.run(full=full)), daemon=True, name="catalog-sync")
    worker.start()
    worker.join(HTTP_BUDGET_S)
    if not result:
        return {"status": "running", "note": "the run goes on; its summary is logged as catalog.sync"}
    return result[0].fields()


def routes(catalog_sync: Callable[[], CatalogSync]) -> list[Route]:
    return [
        Route(
            "POST",
            "catalog/sync",
            lambda s, r, a: _sync_now(r, catalog_sync),
            "Run the product and price sync F&O -> Shopify now (full=true ignores the delta checkpoint)",
            ("full",),
        )
    ]
