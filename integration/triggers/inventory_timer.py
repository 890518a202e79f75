"""Timer: push F&O on-hand to Shopify locations, only what changed.

Schedule: app setting ``INVENTORY_SYNC_SCHEDULE`` (NCRONTAB, UTC), bound as ``%INVENTORY_SYNC_SCHEDULE%``
(the host resolves it; the Bicep template and local.settings.example.json set ``0 */5 * * * *``). The
timer is a singleton across instances (Functions host); the run lease in ``integration.inventory.runs``
also keeps a slow run and the on-demand full resync from overlapping.
"""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from shared.logs import get_logger, new_correlation

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("inventory_timer")
@bp.timer_trigger(arg_name="timer", schedule="%INVENTORY_SYNC_SCHEDULE%", run_on_startup=False, use_monitor=True)
def inventory_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"inventory-sync-{uuid.uuid4().hex[:12]}")  # one id per run, not shared by all runs
    bootstrap.inventory_sync().run(full=False)  # logs its own summary line
