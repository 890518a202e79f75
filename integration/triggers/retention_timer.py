"""Timer: purge old webhook de-duplication records, payload blobs, audit rows, checkout quote rows and
the CRM flow's wait counters (``crmretries``) (schedule: WEBHOOK_RETENTION_SCHEDULE; WEBHOOK_RETENTION_DAYS,
AUDIT_RETENTION_DAYS, RATE_QUOTES_RETENTION_DAYS)."""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from integration.crm.entry import purge_waits
from integration.retention import purge, purge_rate_quotes
from shared.audit import AuditLog
from shared.logs import get_logger, log_event, new_correlation

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("retention_timer")
@bp.timer_trigger(arg_name="timer", schedule="%WEBHOOK_RETENTION_SCHEDULE%", run_on_startup=False, use_monitor=True)
def retention_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"retention-{uuid.uuid4().hex[:12]}")
    settings, storage = bootstrap.settings(), bootstrap.storage()
    result = purge(storage, settings.WEBHOOK_RETENTION_DAYS)
    audit_rows = AuditLog(storage).purge_before(settings.AUDIT_RETENTION_DAYS)
    quote_blobs = purge_rate_quotes(storage, settings.RATE_QUOTES_RETENTION_DAYS)
    crm_wait_rows = purge_waits(storage, settings.WEBHOOK_RETENTION_DAYS)  # Table crmretries
    log_event(
        log,
        "retention.purged",
        days=settings.WEBHOOK_RETENTION_DAYS,
        audit_days=settings.AUDIT_RETENTION_DAYS,
        audit_rows_deleted=audit_rows,
        rate_quote_blobs_deleted=quote_blobs,
        crm_wait_rows_deleted=crm_wait_rows,
        past_due=timer.past_due,
        **result,
    )
