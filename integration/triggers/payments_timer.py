"""Timer: Shopify transactions of invoiced orders -> F&O payment journal lines; payouts -> payout journals.

Schedule: app setting ``PAYMENTS_SYNC_SCHEDULE`` (NCRONTAB, UTC), bound as ``%PAYMENTS_SYNC_SCHEDULE%``
(the host resolves it; the Bicep template and local.settings.example.json set hourly, ``0 0 * * * *``)."""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from integration.payments.entry import run
from shared.logs import get_logger, log_event, new_correlation

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("payments_timer")
@bp.timer_trigger(arg_name="timer", schedule="%PAYMENTS_SYNC_SCHEDULE%", run_on_startup=False, use_monitor=True)
def payments_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"payments-{uuid.uuid4().hex[:12]}")
    summary = run(bootstrap.payment_sync())
    log_event(log, "payments.timer", past_due=timer.past_due, **{k: v for k, v in summary.items() if k != "payouts"})
