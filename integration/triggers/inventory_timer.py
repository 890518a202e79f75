"""Timer: push F&O on-hand to Shopify locations, only what changed.

Schedule: app setting ``INVENTORY_SYNC_SCHEDULE`` (NCRONTAB, UTC), default ``0 */5 * * * *``. The
schedule is read when the app is indexed (the worker has the app settings in its environment then),
so a deployment without the setting still gets the default instead of a binding error. The timer
is a singleton across instances (Functions host); the run lease in ``integration.inventory.runs``
also keeps a slow run and the on-demand full resync from overlapping.
"""

from __future__ import annotations

import os
import uuid

import azure.functions as func

from integration.inventory.service import run_inventory_sync
from shared.logs import get_logger, new_correlation

DEFAULT_SCHEDULE = "0 */5 * * * *"

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("inventory_timer")
@bp.timer_trigger(
    arg_name="timer",
    schedule=os.environ.get("INVENTORY_SYNC_SCHEDULE") or DEFAULT_SCHEDULE,
    run_on_startup=False,
    use_monitor=True,
)
def inventory_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"inventory-sync-{uuid.uuid4().hex[:12]}")  # one id per run, not shared by all runs
    run_inventory_sync(full=False)  # logs its own summary line
