"""From a ``crm`` queue message to :class:`CrmSync`, with the error policy of the CRM queue:

* a body that is not a Shopify document (no id) -> logged, dropped (retrying cannot fix it);
* Dataverse refusing a write (400, 404 on a lookup, ...) -> a ``CRM_REJECTED`` exception with
  Dataverse's message, no retry (fix the data or the CRM setup, then retry from the ops API);
* Dataverse unavailable, throttled beyond the client's retries, or the order not in CRM yet -> the
  message is sent again to queue ``crm`` with a growing visibility timeout (30 s doubling to 1 h, at
  most ``MAX_WAITS`` times, counted in Table ``crmretries``) and this delivery ends normally. A worker
  thread is therefore never held waiting for Dataverse to come back (the Functions host shares its
  threads between the CRM and F&O queues), and an outage does not push messages to ``crm-poison``.
  After the last wait the document becomes a ``CRM_UNAVAILABLE`` exception (retry from the ops API).
  Only a failure to re-send is raised (the host's own redelivery then applies).
* another delivery of the same order holding the order's CRM lease (``LeaseBusy``) -> the message is
  sent again with a visibility timeout of the lease's remaining time; this is not a wait (not counted).

A ``crmretries`` row is deleted when its event becomes an exception; the rows of events that
succeeded after waiting (not deleted then, to keep a storage call off every event) are dropped by
:func:`purge_waits` (the retention timer) once older than the retention period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.clients.dataverse import DataverseAuthError, DataverseError, DataverseTransient
from integration.crm.config import ENTITY_CONTACT, ENTITY_ORDER
from integration.crm.outcome import CrmNotReady, Outcome
from integration.crm.service import CrmSync
from integration.customers.model import CustomerPayloadError
from integration.orders.model import OrderPayloadError
from integration.refunds.model import RefundPayloadError
from integration.webhooks.envelope import Envelope, load_payload
from shared import queues, tables
from shared.lease import LeaseBusy
from shared.logs import get_logger, log_event
from shared.storage import Storage, safe_key

REJECTED = "CRM_REJECTED"
UNAVAILABLE = "CRM_UNAVAILABLE"
MAX_WAITS = 10  # 30 s, 1, 2, 4, 8, 16, 32 min, then 1 h: about 4 hours in all
BASE_WAIT_S, MAX_WAIT_S = 30, 3600
log = get_logger(__name__)


def process(sync: CrmSync, envelope: Envelope) -> Outcome:
    payload = load_payload(envelope, sync.storage)
    try:
        outcome = sync.handle(envelope.topic, payload)
    except LeaseBusy as busy:
        sync.storage.queue(queues.CRM).send_message(
            envelope.to_message(), visibility_timeout=int(busy.retry_after_s) + 1
        )
        log_event(log, "crm.busy", topic=envelope.topic, resource_id=envelope.resource_id)
        return Outcome("busy", f"another delivery holds the order: retry in {int(busy.retry_after_s) + 1} s")
    except (OrderPayloadError, RefundPayloadError, CustomerPayloadError) as error:
        log_event(log, "crm.bad_payload", topic=envelope.topic, error=str(error))
        return Outcome("ignored", f"not a Shopify document: {error}")
    except (DataverseTransient, DataverseAuthError, CrmNotReady) as error:
        return _wait(sync, envelope, payload, error)
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
    return outcome


def purge_waits(storage: Storage, days: int, now: datetime | None = None) -> int:
    """Delete ``crmretries`` rows not written for ``days`` (their event ended long ago)."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    table, deleted = storage.table(tables.CRM_RETRIES), 0
    for row in table.query_entities(
        "Timestamp lt @cutoff", parameters={"cutoff": cutoff}, select=["PartitionKey", "RowKey"]
    ):
        table.delete_entity(row["PartitionKey"], row["RowKey"])
        deleted += 1
    return deleted


def _wait(sync: CrmSync, envelope: Envelope, payload: dict[str, Any], error: Exception) -> Outcome:
    table = sync.storage.table(tables.CRM_RETRIES)
    key = safe_key(f"{envelope.topic}|{envelope.webhook_id}")
    try:
        waits = int(table.get_entity(key, "retry").get("Waits", 0))
    except ResourceNotFoundError:
        waits = 0
    entity = ENTITY_CONTACT if envelope.topic.startswith("customers/") else ENTITY_ORDER
    entity_id = str(payload.get("order_id") or payload.get("id") or envelope.resource_id)
    if waits >= MAX_WAITS:
        sync.exceptions.open(
            entity,
            entity_id,
            UNAVAILABLE,
            f"CRM did not accept the {envelope.topic} event after {waits} waits: {error}",
            {"topic": envelope.topic},
        )
        table.delete_entity(key, "retry")
        return Outcome("blocked", UNAVAILABLE)
    delay = min(MAX_WAIT_S, BASE_WAIT_S * 2**waits)
    table.upsert_entity({"PartitionKey": key, "RowKey": "retry", "Waits": waits + 1}, mode=UpdateMode.REPLACE)
    sync.storage.queue(queues.CRM).send_message(envelope.to_message(), visibility_timeout=delay)
    log_event(
        log,
        "crm.wait",
        topic=envelope.topic,
        resource_id=envelope.resource_id,
        waits=waits + 1,
        delay_s=delay,
        error=type(error).__name__,
    )
    return Outcome("waiting", f"{type(error).__name__}: retry in {delay} s")
