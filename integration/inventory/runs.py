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

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared.storage import Storage

TABLE = "inventoryruns"
PARTITION = "inventory"


class LeaseLost(RuntimeError):
    """Another run took the lease over (ours had expired): stop without writing more."""


class RunLease:
    def __init__(self, storage: Storage, seconds: float, owner: str | None = None) -> None:
        self.table: TableClient = storage.table(TABLE)
        self.seconds = seconds
        self.owner = owner or str(uuid.uuid4())
        self.etag: str | None = None
        self.renewed_at = 0.0

    def _entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": PARTITION,
            "RowKey": "lease",
            "Owner": self.owner,
            "ExpiresAt": datetime.now(UTC) + timedelta(seconds=self.seconds),
        }

    def acquire(self) -> bool:
        self.renewed_at = time.monotonic()
        try:
            self.etag = self.table.create_entity(self._entity()).get("etag")
            return True
        except ResourceExistsError:
            pass
        try:
            current = self.table.get_entity(PARTITION, "lease")
        except ResourceNotFoundError:
            return self.acquire_once_more()
        expires = current.get("ExpiresAt")
        if isinstance(expires, datetime) and expires > datetime.now(UTC) and current.get("Owner") != self.owner:
            return False
        try:
            self.etag = self.table.update_entity(
                self._entity(),
                mode=UpdateMode.REPLACE,
                etag=current.metadata["etag"],
                match_condition=MatchConditions.IfNotModified,
            ).get("etag")
            return True
        except (ResourceModifiedError, ResourceNotFoundError):
            return False  # someone else took it in between

    def acquire_once_more(self) -> bool:
        try:
            self.etag = self.table.create_entity(self._entity()).get("etag")
            return True
        except ResourceExistsError:
            return False

    def maybe_renew(self) -> None:
        """Renew when a third of the lease has passed (keeps storage calls off the hot path)."""
        if time.monotonic() - self.renewed_at > self.seconds / 3:
            self.renew()

    def renew(self) -> None:
        self.renewed_at = time.monotonic()
        try:
            self.etag = self.table.update_entity(
                self._entity(), mode=UpdateMode.REPLACE, etag=self.etag, match_condition=MatchConditions.IfNotModified
            ).get("etag")
        except (ResourceModifiedError, ResourceNotFoundError):
            raise LeaseLost("the inventory run lease was taken over by another run") from None

    def release(self) -> None:
        try:
            self.table.delete_entity(PARTITION, "lease", etag=self.etag, match_condition=MatchConditions.IfNotModified)
        except (ResourceModifiedError, ResourceNotFoundError):
            pass  # expired and taken over: nothing of ours to release


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
        self.table: TableClient = storage.table(TABLE)

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
