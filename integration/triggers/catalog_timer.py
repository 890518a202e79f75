"""Timer: the product and price master, F&O -> Shopify (schedule: app setting ``CATALOG_SYNC_SCHEDULE``,
NCRONTAB, UTC). A singleton across instances (Functions host); the run lease in
``integration.catalog.state`` also keeps the ops "sync now" (``POST /api/ops/catalog/sync``) and a
slow run from overlapping."""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from shared.logs import new_correlation

bp = func.Blueprint()


@bp.function_name("catalog_timer")
@bp.timer_trigger(arg_name="timer", schedule="%CATALOG_SYNC_SCHEDULE%", run_on_startup=False, use_monitor=True)
def catalog_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"catalog-sync-{uuid.uuid4().hex[:12]}")
    bootstrap.catalog_sync().run(full=False)  # logs its own summary line (catalog.sync)
