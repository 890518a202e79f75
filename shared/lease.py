"""One lease primitive: a Table row taken with optimistic concurrency (ETag).

Whoever creates the row, or replaces an expired one with ``If-Match``, holds the lease; everyone
else sees a conflict and backs off. It expires after ``seconds`` so a crashed holder cannot block
for ever, and the holder renews it while it works. Used by the inventory run (one run at a time) and
by every flow that writes one Shopify document's F&O side (:func:`holding`): per Shopify order, order
create, update and cancel, refunds and fulfillment of that order, so no two deliveries for one order
interleave their F&O writes; per Shopify customer, customer sync.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient, UpdateMode

from shared import tables
from shared.storage import Storage, safe_key

ORDER_LEASE_SECONDS = 30.0


class LeaseLost(RuntimeError):
    """Another holder took the lease over (ours had expired): stop without writing more."""


class LeaseBusy(RuntimeError):
    """Another delivery holds the lease: try again once it ends (``retry_after_s``). Not a failure:
    the queue triggers put the message back with that delay instead of counting a delivery."""

    def __init__(self, message: str, retry_after_s: float = 5.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Lease:
    def __init__(self, table: TableClient, partition: str, row: str, seconds: float, owner: str | None = None) -> None:
        self.table = table
        self.partition, self.row = partition, row
        self.seconds = seconds
        self.owner = owner or str(uuid.uuid4())
        self.etag: str | None = None
        self.renewed_at = 0.0
        self.held_until: datetime | None = None  # the other holder's expiry, when acquire() failed

    def _entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": self.partition,
            "RowKey": self.row,
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
            current = self.table.get_entity(self.partition, self.row)
        except ResourceNotFoundError:
            return self.acquire_once_more()
        expires = current.get("ExpiresAt")
        if isinstance(expires, datetime) and expires > datetime.now(UTC) and current.get("Owner") != self.owner:
            self.held_until = expires
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
            raise LeaseLost(f"the lease {self.partition}/{self.row} was taken over by another holder") from None

    def release(self) -> None:
        try:
            self.table.delete_entity(
                self.partition, self.row, etag=self.etag, match_condition=MatchConditions.IfNotModified
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            pass  # expired and taken over: nothing of ours to release


def document_lease(storage: Storage, kind: str, key: str | int, seconds: float = ORDER_LEASE_SECONDS) -> Lease:
    """The lease of one source document (``kind`` = ``order`` | ``customer``, ``key`` its Shopify id)."""
    return Lease(storage.table(tables.DOCUMENT_LEASES), safe_key(str(key)), kind, seconds)


def order_lease(storage: Storage, shopify_order_id: str | int, seconds: float = ORDER_LEASE_SECONDS) -> Lease:
    """The lease of one Shopify order's documents (F&O sales order, credit notes, fulfillments)."""
    return document_lease(storage, "order", shopify_order_id, seconds)


@contextmanager
def holding(storage: Storage, kind: str, key: str | int, seconds: float = ORDER_LEASE_SECONDS) -> Iterator[Lease]:
    """Hold the document's lease for the block; :class:`LeaseBusy` when another delivery holds it."""
    lease = document_lease(storage, kind, key, seconds)
    if not lease.acquire():
        left = (lease.held_until - datetime.now(UTC)).total_seconds() if lease.held_until else 1.0
        raise LeaseBusy(f"Shopify {kind} {key} is being changed by another delivery", min(max(left, 1.0), seconds))
    try:
        yield lease
    finally:
        lease.release()


def holding_order(
    storage: Storage, shopify_order_id: str | int, seconds: float = ORDER_LEASE_SECONDS
) -> AbstractContextManager[Lease]:
    return holding(storage, "order", shopify_order_id, seconds)
