"""Timer: poll F&O for posted packing slips and sync them to Shopify fulfillments.

Schedule: app setting ``FULFILLMENT_SYNC_SCHEDULE`` (NCRONTAB, UTC), default ``0 */5 * * * *``. The
schedule is read when the app is indexed (the worker has the app settings in its environment then),
so a deployment without the setting still gets the default instead of a binding error.
"""

from __future__ import annotations

import os
import uuid

import azure.functions as func

from integration.fulfillment.entry import get_sync
from shared.logs import get_logger, log_event, new_correlation

DEFAULT_SCHEDULE = "0 */5 * * * *"

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("fulfillment_timer")
@bp.timer_trigger(
    arg_name="timer",
    schedule=os.environ.get("FULFILLMENT_SYNC_SCHEDULE") or DEFAULT_SCHEDULE,
    run_on_startup=False,
    use_monitor=True,
)
def fulfillment_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"fulfillment-poll-{uuid.uuid4().hex[:12]}")  # one id per run, not shared by all runs
    summary = get_sync().poll()
    log_event(log, "fulfillment.timer", past_due=timer.past_due, **summary)
