"""Timer: purge old webhook de-duplication records and payload blobs (schedule: WEBHOOK_RETENTION_SCHEDULE)."""

from __future__ import annotations

import azure.functions as func

from integration.retention import purge
from shared.logs import get_logger, log_event
from shared.settings import get_settings
from shared.storage import get_storage

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("retention_timer")
@bp.timer_trigger(arg_name="timer", schedule="%WEBHOOK_RETENTION_SCHEDULE%", run_on_startup=False,
                  use_monitor=True)
def retention_timer(timer: func.TimerRequest) -> None:
    days = get_settings().WEBHOOK_RETENTION_DAYS
    result = purge(get_storage(), days)
    log_event(log, "retention.purged", days=days, past_due=timer.past_due, **result)
