"""Timer: import the FedEx invoice exports dropped into the blob container ``FREIGHT_INVOICE_CONTAINER``,
each blob version once (integration/freight/blob_watch.py says why a timer and not a blob trigger), then
give every shipped order without an audit line its line.

Schedule: app setting ``FREIGHT_INVOICE_SCHEDULE`` (NCRONTAB, UTC), bound as ``%FREIGHT_INVOICE_SCHEDULE%``
(the host resolves it; the Bicep template and local.settings.example.json set every 15 minutes)."""

from __future__ import annotations

import uuid

import azure.functions as func

from integration import bootstrap
from shared.logs import get_logger, log_event, new_correlation

bp = func.Blueprint()
log = get_logger(__name__)


@bp.function_name("freight_invoice_timer")
@bp.timer_trigger(arg_name="timer", schedule="%FREIGHT_INVOICE_SCHEDULE%", run_on_startup=False, use_monitor=True)
def freight_invoice_timer(timer: func.TimerRequest) -> None:
    new_correlation(f"freight-invoices-{uuid.uuid4().hex[:12]}")
    summary = bootstrap.freight_audit().scan_invoices()
    log_event(log, "freight.invoice_timer", past_due=timer.past_due, **summary)
