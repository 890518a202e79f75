"""From a ``crm`` queue message to :class:`CrmSync`, with the error policy of the CRM queue:

* a body that is not a Shopify document (no id) -> logged, dropped (retrying cannot fix it);
* Dataverse refusing a write (400, 404 on a lookup, ...) -> a ``CRM_REJECTED`` exception with
  Dataverse's message, no retry (fix the data or the CRM setup, then retry from the ops API);
* Dataverse unavailable, throttled beyond the client's retries, or the order not in CRM yet -> raised:
  the queue redelivers, and after ``maxDequeueCount`` the message waits in ``crm-poison``.
"""

from __future__ import annotations

from integration.clients.dataverse import DataverseAuthError, DataverseError, DataverseTransient
from integration.crm.config import ENTITY_CONTACT, ENTITY_ORDER
from integration.crm.service import CrmSync, Outcome
from integration.customers.model import CustomerPayloadError
from integration.orders.model import OrderPayloadError
from integration.refunds.model import RefundPayloadError
from integration.webhooks.envelope import Envelope, load_payload
from shared.logs import get_logger, log_event

REJECTED = "CRM_REJECTED"
log = get_logger(__name__)


def process(sync: CrmSync, envelope: Envelope) -> Outcome:
    payload = load_payload(envelope, sync.storage)
    try:
        return sync.handle(envelope.topic, payload)
    except (OrderPayloadError, RefundPayloadError, CustomerPayloadError) as error:
        log_event(log, "crm.bad_payload", topic=envelope.topic, error=str(error))
        return Outcome("ignored", f"not a Shopify document: {error}")
    except (DataverseTransient, DataverseAuthError):
        raise
    except DataverseError as error:
        entity = ENTITY_CONTACT if envelope.topic.startswith("customers/") else ENTITY_ORDER
        entity_id = str(payload.get("order_id") or payload.get("id") or envelope.resource_id)
        sync.exceptions.open(
            entity,
            entity_id,
            REJECTED,
            f"Dataverse refused the write: {error.message}",
            {"topic": envelope.topic, "status": error.status, "code": error.code, "target": error.target},
        )
        return Outcome("blocked", REJECTED)
