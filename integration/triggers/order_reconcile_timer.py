"""Timer: queue recent Shopify orders that never reached F&O (schedule: ORDER_RECONCILE_SCHEDULE)."""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from integration.orders.reconcile import reconcile
from shared.logs import get_logger, log_event, new_correlation

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("order_reconcile_timer")
@bp.timer_trigger(arg_name="timer", schedule="%ORDER_RECONCILE_SCHEDULE%", run_on_startup=False, use_monitor=True)
def order_reconcile_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"reconcile-{uuid.uuid4().hex[:12]}")
    sync = bootstrap.order_sync()
    result = reconcile(sync.storage, sync.shopify, bootstrap.settings().ORDER_RECONCILE_LOOKBACK_MINUTES)
    log_event(log, "order.reconciled", past_due=timer.past_due, **result)
