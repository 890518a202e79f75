"""Run lease and checkpoint (table ``inventoryruns``, PartitionKey ``inventory``).

The lease is a Table row taken with optimistic concurrency (ETag): whoever creates it, or replaces
an expired one with ``If-Match``, holds it; everyone else sees a conflict and skips the run. It
expires after ``lease_seconds`` so a crashed run cannot block the flow for ever, and is renewed
after every F&O page and Shopify batch. (The Functions timer is already a singleton across
instances; the lease also covers the on-demand full resync and a slow run overlapping the next
tick.)

The checkpoint row says whether the last run finished. A run that finds an unfinished checkpoint
resumes it: it keeps the run id (so rebuilt batches carry the same idempotency keys) and, since
the ledger is exact up to the last completed batch, sends only what is still missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared import tables
from shared.lease import Lease, LeaseLost
from shared.storage import Storage

__all__ = ["Checkpoint", "Checkpoints", "LeaseLost", "RunLease"]

PARTITION = "inventory"


class RunLease(Lease):
    """The inventory run's lease: the shared primitive (``shared/lease.py``) on one fixed row."""

    def __init__(self, storage: Storage, seconds: float, owner: str | None = None) -> None:
        super().__init__(storage.table(tables.INVENTORY_RUNS), PARTITION, "lease", seconds, owner)


@dataclass
class Checkpoint:
    run_id: str
    status: str  # running | done | cut_off | failed
    full: bool
    started_at: datetime
    batches_done: int = 0
    pushed: int = 0


class Checkpoints:
    def __init__(self, storage: Storage) -> None:
        self.table: TableClient = storage.table(tables.INVENTORY_RUNS)

    def last(self) -> Checkpoint | None:
        try:
            row = self.table.get_entity(PARTITION, "checkpoint")
        except ResourceNotFoundError:
            return None
        return Checkpoint(
            str(row["RunId"]),
            str(row["Status"]),
            bool(row.get("Full")),
            row["StartedAt"],
            int(row.get("BatchesDone") or 0),
            int(row.get("Pushed") or 0),
        )

    def save(self, checkpoint: Checkpoint) -> None:
        self.table.upsert_entity(
            {
                "PartitionKey": PARTITION,
                "RowKey": "checkpoint",
                "RunId": checkpoint.run_id,
                "Status": checkpoint.status,
                "Full": checkpoint.full,
                "StartedAt": checkpoint.started_at,
                "BatchesDone": checkpoint.batches_done,
                "Pushed": checkpoint.pushed,
                "UpdatedAt": datetime.now(UTC),
            },
            mode=UpdateMode.REPLACE,
        )
