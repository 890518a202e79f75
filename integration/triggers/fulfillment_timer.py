"""Timer: poll F&O for posted packing slips and sync them to Shopify fulfillments.

Schedule: app setting ``FULFILLMENT_SYNC_SCHEDULE`` (NCRONTAB, UTC), bound as ``%FULFILLMENT_SYNC_SCHEDULE%``
(the host resolves it; the Bicep template and local.settings.example.json set ``0 */5 * * * *``).
"""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from shared.logs import get_logger, log_event, new_correlation

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("fulfillment_timer")
@bp.timer_trigger(arg_name="timer", schedule="%FULFILLMENT_SYNC_SCHEDULE%", run_on_startup=False, use_monitor=True)
def fulfillment_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"fulfillment-poll-{uuid.uuid4().hex[:12]}")  # one id per run, not shared by all runs
    summary = bootstrap.fulfillment_sync().poll()
    log_event(log, "fulfillment.timer", past_due=timer.past_due, **summary)
