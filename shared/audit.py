"""The audit log: every sync step per entity, in Table Storage.

Two tables keep both common questions cheap: ``audit`` is partitioned by entity (``order|123``) for
an entity's timeline, ``auditdaily`` by UTC day for "what happened today". The entity row is written
at once (one insert); the by-day row goes through a ``BatchWriter`` (one transaction per day for many
outcomes, off the unit of work's path): a crash loses the by-day rows of the last second at most,
never an entity row. Payload snapshots are
redacted (see ``shared.redact``) before they are written and cut to fit a Table property.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError

from shared import tables
from shared.batch_writer import BatchWriter
from shared.logs import correlation_id as current_correlation_id
from shared.logs import get_logger, log_event
from shared.redact import redact
from shared.storage import Storage, safe_key

DAILY_FLUSH_S = 1.0
_WRITER = "auditdaily-writer"  # key in Storage.memo
MAX_SNAPSHOT_CHARS = 30_000  # a Table string property holds 64 KiB of UTF-16

# Steps that mean "this document reached its target": counted as synced on the dashboard.
MILESTONES = frozenset(
    {("order", "create"), ("refund", "credit_note"), ("packing_slip", "fulfillment_sync"), ("customer", "contact")}
)
MILESTONE_OUTCOMES = frozenset({"created", "existing", "updated", "tracking_updated"})
PROBLEM_OUTCOMES = frozenset({"failed", "exception", "conflict", "mismatch", "expired"})


def is_milestone(entity: str, step: str, outcome: str) -> bool:
    return (entity, step) in MILESTONES and outcome in MILESTONE_OUTCOMES


def _daily(entity: str, step: str, outcome: str) -> bool:
    """Only outcomes go to the by-day index (one insert fewer for every intermediate step)."""
    return is_milestone(entity, step, outcome) or outcome in PROBLEM_OUTCOMES or outcome.isupper()


log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def entity_key(entity: str, entity_id: str) -> str:
    return safe_key(f"{entity}|{entity_id}")


@dataclass
class AuditEntry:
    entity: str
    entity_id: str
    step: str
    outcome: str
    at: str
    correlation_id: str = ""
    target: str = ""
    duration_ms: float | None = None
    details: dict[str, Any] | None = None


def daily_writer(storage: Storage) -> BatchWriter:
    """The by-day index writer of this Storage (one per Storage, made on first use)."""
    writer = storage.memo.get(_WRITER)
    if writer is None:
        writer = storage.memo.setdefault(
            _WRITER, BatchWriter(lambda: storage, tables.AUDIT_DAILY, DAILY_FLUSH_S, event="audit.daily_write_failed")
        )
    return writer


class AuditLog:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def record(
        self,
        entity: str,
        entity_id: str,
        step: str,
        outcome: str,
        *,
        target: str = "",
        duration_ms: float | None = None,
        details: dict[str, Any] | None = None,
        snapshot: Any = None,
        correlation_id: str = "",
    ) -> None:
        """Write one audit row. Never raises: the audit must not fail the sync it describes."""
        at = _now()
        cid = correlation_id or current_correlation_id.get()
        row_key = f"{at.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:8]}"
        entity_row: dict[str, Any] = {
            "PartitionKey": entity_key(entity, entity_id),
            "RowKey": row_key,
            "Entity": entity,
            "EntityId": str(entity_id),
            "Step": step,
            "Outcome": outcome,
            "At": at.isoformat(),
            "CorrelationId": cid,
            "Target": target,
        }
        if duration_ms is not None:
            entity_row["DurationMs"] = round(float(duration_ms), 1)
        if details:
            entity_row["Details"] = json.dumps(redact(details), default=str)[:MAX_SNAPSHOT_CHARS]
        if snapshot is not None:
            entity_row["Snapshot"] = json.dumps(redact(snapshot), default=str)[:MAX_SNAPSHOT_CHARS]
        daily_row = {k: v for k, v in entity_row.items() if k != "Snapshot"}
        daily_row["PartitionKey"] = at.strftime("%Y-%m-%d")
        daily_row["RowKey"] = f"{row_key}-{safe_key(entity)}"
        try:
            self.storage.table(tables.AUDIT).create_entity(entity_row)
            if _daily(entity, step, outcome):
                daily_writer(self.storage).add(daily_row)
        except AzureError as error:
            log_event(log, "audit.write_failed", entity=entity, step=step, error=type(error).__name__)

    def timeline(self, entity: str, entity_id: str) -> list[AuditEntry]:
        rows = self.storage.table(tables.AUDIT).query_entities(
            "PartitionKey eq @pk", parameters={"pk": entity_key(entity, entity_id)}
        )
        return [_entry(r) for r in sorted(rows, key=lambda r: r["RowKey"])]

    def day(self, day: str, entity: str | None = None) -> list[AuditEntry]:
        daily_writer(self.storage).wait_idle()  # this process's own rows first
        query, params = "PartitionKey eq @day", {"day": day}
        if entity:
            query += " and Entity eq @entity"
            params["entity"] = entity
        rows = self.storage.table(tables.AUDIT_DAILY).query_entities(query, parameters=params)
        return [_entry(r) for r in sorted(rows, key=lambda r: r["RowKey"])]

    def purge_before(self, days: int, now: datetime | None = None) -> int:
        cutoff = (now or _now()) - timedelta(days=days)
        deleted = 0
        for name in (tables.AUDIT, tables.AUDIT_DAILY):
            table = self.storage.table(name)
            for row in table.query_entities(
                "Timestamp lt @c", parameters={"c": cutoff}, select=["PartitionKey", "RowKey"]
            ):
                table.delete_entity(row["PartitionKey"], row["RowKey"])
                deleted += 1
        return deleted


def _entry(row: dict[str, Any]) -> AuditEntry:
    details = json.loads(row["Details"]) if row.get("Details") else None
    return AuditEntry(
        entity=row.get("Entity", ""),
        entity_id=row.get("EntityId", ""),
        step=row.get("Step", ""),
        outcome=row.get("Outcome", ""),
        at=row.get("At", ""),
        correlation_id=row.get("CorrelationId", ""),
        target=row.get("Target", ""),
        duration_ms=row.get("DurationMs"),
        details=details,
    )
