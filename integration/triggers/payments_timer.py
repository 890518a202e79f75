"""Timer: Shopify transactions of invoiced orders -> F&O payment journal lines; payouts -> payout journals.

Schedule: app setting ``PAYMENTS_SYNC_SCHEDULE`` (NCRONTAB, UTC), default hourly, read when the app is
indexed (as the other timers do)."""

from __future__ import annotations

import os
import uuid

import azure.functions as func

from integration.payments.entry import run
from shared.logs import get_logger, log_event, new_correlation
from shared.settings import get_settings
from shared.storage import get_storage

DEFAULT_SCHEDULE = "0 0 * * * *"

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("payments_timer")
@bp.timer_trigger(
    arg_name="timer",
    schedule=os.environ.get("PAYMENTS_SYNC_SCHEDULE") or DEFAULT_SCHEDULE,
    run_on_startup=False,
    use_monitor=True,
)
def payments_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"payments-{uuid.uuid4().hex[:12]}")
    summary = run(get_settings(), get_storage())
    log_event(log, "payments.timer", past_due=timer.past_due, **{k: v for k, v in summary.items() if k != "payouts"})
