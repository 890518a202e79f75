"""CRM delta reconciliation: Shopify orders of a window vs the Dataverse emulator; dry run, then apply."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from integration.clients.dataverse import DataverseClient
from integration.crm.config import CrmConfig
from integration.crm.reconcile import checkpoint, reconcile
from integration.crm.service import CrmSync
from integration.webhooks.envelope import Envelope
from shared import queues
from shared.storage import Storage
from tests.crm_fixtures import dv, dv_admin, dv_server
from tests.integration.crm.test_crm_sync import order_body

__all__ = ["dv", "dv_admin", "dv_server"]
SINCE, UNTIL = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)


def test_dry_run_reports_and_apply_queues_the_differences(
    storage: Storage, dv: DataverseClient, dv_admin: httpx.Client
) -> None:
    sync = CrmSync(storage, dv, CrmConfig())
    in_sync, edited, cancelled, missing = order_body(), order_body(), order_body(), order_body()
    for body in (in_sync, edited, cancelled):
        sync.handle("orders/create", body)
    edited = {**edited, "total_price": "1.00"}  # an edit CRM never got
    cancelled = {**cancelled, "cancelled_at": "2026-12-01T12:00:00Z"}
    shopify = [in_sync, edited, cancelled, missing]
    storage.queue(queues.CRM).clear_messages()

    dry = reconcile(storage, dv, CrmConfig(), shopify, SINCE, UNTIL, apply=False)
    assert (dry.checked, dry.in_sync, dry.queued) == (4, 1, [])
    assert {d["order_id"]: d["why"] for d in dry.differences} == {
        str(edited["id"]): "total",
        str(cancelled["id"]): "state",
        str(missing["id"]): "missing",
    }
    assert list(storage.queue(queues.CRM).receive_messages(max_messages=32)) == []

    applied = reconcile(storage, dv, CrmConfig(), shopify, SINCE, UNTIL, apply=True)
    assert sorted(applied.queued) == sorted(d["order_id"] for d in dry.differences)
    messages = [Envelope.from_message(m.content) for m in storage.queue(queues.CRM).receive_messages(max_messages=32)]
    assert sorted(m.resource_id for m in messages) == sorted(applied.queued)
    assert {m.topic for m in messages} == {queues.RESYNC}
    assert checkpoint(storage) == UNTIL.isoformat()
    storage.queue(queues.CRM).clear_messages()
