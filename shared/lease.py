"""One lease primitive: a Table row taken with optimistic concurrency (ETag).

Whoever creates the row, or replaces an expired one with ``If-Match``, holds the lease; everyone
else sees a conflict and backs off. It expires after ``seconds`` so a crashed holder cannot block
for ever, and the holder renews it while it works. Two shapes of the same rule:

* :class:`Lease`, a row of its own: the inventory and catalog runs (one run at a time), and every
  flow that writes one Shopify document's F&O side (:func:`holding`): per Shopify order, order
  create, update and cancel, refunds and fulfillment of that order, so no two deliveries for one
  order interleave their F&O writes; per Shopify customer, customer sync.
* :class:`RowLease`, kept on the document's own record row (``LeaseOwner``/``LeaseUntil``): the
  packing slip's record. Claiming it returns the record and its ETag, and every write of the record
  carries that ETag, so a holder whose lease expired and was taken over cannot write any more.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
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


class RowLease:
    """A lease kept on a document's own Table row, beside the document's fields (MERGE writes).

    One owner per claim (not per process): threads sharing one store must still exclude each other.
    ``etag`` follows every write, so the holder's writes fail once someone else changed the row."""

    OWNER, UNTIL = "LeaseOwner", "LeaseUntil"

    def __init__(self, table: TableClient, partition: str, row: str, seconds: float, what: str) -> None:
        self.table, self.partition, self.row = table, partition, row
        self.seconds, self.what = seconds, what
        self.owner = uuid.uuid4().hex
        self.etag = ""

    def claim(self, new: Mapping[str, Any], attempts: int = 5) -> dict[str, Any] | None:
        """Hold the lease. Returns the row as it was, or None when this claim created it (with
        ``new``'s fields). :class:`LeaseBusy` while another holder's lease has not expired."""
        for _ in range(attempts):
            now = datetime.now(UTC)
            lease = {
                self.OWNER: self.owner,
                self.UNTIL: (now + timedelta(seconds=self.seconds)).isoformat(),
                "UpdatedAt": now.isoformat(),
            }
            try:
                current = self.table.get_entity(self.partition, self.row)
            except ResourceNotFoundError:
                try:
                    meta = self.table.create_entity(
                        {
                            "PartitionKey": self.partition,
                            "RowKey": self.row,
                            "CreatedAt": now.isoformat(),
                            **new,
                            **lease,
                        }
                    )
                except ResourceExistsError:
                    continue
                self.etag = meta["etag"]
                return None
            until = str(current.get(self.UNTIL) or "")
            if current.get(self.OWNER) and until and (left := datetime.fromisoformat(until) - now) > timedelta(0):
                raise LeaseBusy(f"{self.what} is held by another run", max(left.total_seconds(), 1.0))
            try:
                meta = self.table.update_entity(
                    {"PartitionKey": self.partition, "RowKey": self.row, **lease},
                    mode=UpdateMode.MERGE,
                    etag=current.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            except ResourceModifiedError:
                continue
            self.etag = meta["etag"]
            return dict(current)
        raise LeaseBusy(f"{self.what}: too much contention on its row")

    def write(self, values: Mapping[str, Any], *, release: bool = False) -> None:
        """MERGE ``values`` under the lease (``If-Match``); :class:`LeaseLost` when the row changed."""
        row = {"PartitionKey": self.partition, "RowKey": self.row, **values}
        if release:
            row.update({self.OWNER: "", self.UNTIL: ""})
        try:
            meta = self.table.update_entity(
                row, mode=UpdateMode.MERGE, etag=self.etag, match_condition=MatchConditions.IfNotModified
            )
        except ResourceModifiedError:
            raise LeaseLost(f"{self.what}: lease lost while working") from None
        self.etag = meta["etag"]

    def release(self) -> None:
        try:
            self.write({}, release=True)
        except (LeaseLost, ResourceNotFoundError):
            pass  # someone else took over after our lease expired: theirs now


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
