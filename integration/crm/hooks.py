"""The one place the F&O flows talk to the CRM flow: when F&O assigns a document number the CRM order
shows (the sales order number, a credit note number), a small message goes to queue ``crm``.

Only when the CRM flow is on (``DATAVERSE_URL`` set), and it never raises: CRM trouble must not fail
an F&O sync that already succeeded (a lost hook only delays the number until the next CRM event of
the order copies it from the F&O flow's record).
"""

from __future__ import annotations

import uuid

from integration.webhooks.envelope import Envelope
from shared import queues
from shared.logs import correlation_id, get_logger, log_event
from shared.storage import Storage

FO_SALES_ORDER = "crm/fo-salesorder"
FO_CREDIT_NOTE = "crm/fo-creditnote"
FO_INVOICE = "crm/fo-invoice"
log = get_logger(__name__)


def fo_document_known(storage: Storage, topic: str, order_id: str, number: str, refund_id: str = "") -> None:
    try:
        from shared.settings import get_settings

        if get_settings().DATAVERSE_URL is None or not number:
            return
        envelope = Envelope(
            topic=topic,
            webhook_id=f"{topic}:{order_id}:{refund_id}:{number}",
            correlation_id=correlation_id.get() or uuid.uuid4().hex,
            resource_id=order_id,
            payload={"order_id": order_id, "refund_id": refund_id, "number": number},
        )
        storage.queue(queues.CRM).send_message(envelope.to_message())
    except Exception as error:  # never fail the F&O flow for CRM's sake
        log_event(log, "crm.hook_failed", topic=topic, order_id=order_id, error=type(error).__name__)


def fo_invoiced(storage: Storage, order_id: str, invoices: list[str]) -> None:
    """F&O has invoiced the order (``invoices``: its invoice numbers). Called by every payments run for
    every invoiced order, so a message goes only when the numbers differ from those CRM last wrote."""
    try:
        from integration.crm.records import CrmOrders
        from shared.settings import get_settings

        number = ", ".join(sorted(set(invoices)))
        if get_settings().DATAVERSE_URL is None or not number:
            return  # CRM off: not even the storage read
        if str(CrmOrders(storage).get(order_id).get("Invoices") or "") != number:
            fo_document_known(storage, FO_INVOICE, order_id, number)
    except Exception as error:  # never fail the F&O flow for CRM's sake
        log_event(log, "crm.hook_failed", topic=FO_INVOICE, order_id=order_id, error=type(error).__name__)
