"""Relative, guarded reductions of an open (not invoiced) sales order, recorded per refund.

Table ``refundreductions``, one row per Shopify order (PartitionKey = order id, RowKey ``ledger``),
saved with ``If-Match``. Each entry is one refund's reduction of one F&O line (lot): the quantity it
takes, the line's ETag read before the write, and whether the write is known to be applied.

A reduction (under the order's lease, :mod:`shared.lease`):

1. resolves every *pending* entry of the order, its own or another refund's, left by a writer that
   died between recording its intent and recording the result. The entry holds the line's ETag read
   before the write and the quantity the write sets (``after``):

   - ETag unchanged: the write never happened; the entry is dropped, that refund re-plans;
   - ETag changed and the quantity is ``after``: applied (the write, or an edit that left the line
     where the write would have; either way F&O holds this refund's reduction);
   - ETag changed and another quantity: something else wrote the line after the writer died (a
     person in F&O). F&O keeps no quantity history, so whether the write happened first cannot be
     known: the entry becomes *uncertain* and its refund an exception for a person
     (``refund_reduction_uncertain``), never counted as applied nor applied again.

   Order updates settle the ledger the same way before they write lines (``settle_before_write``), so
   the integration's own later write never makes a dead reduction look applied;
2. skips the lots this refund has already applied (a retry subtracts nothing twice);
3. reads each line's current quantity and ETag, records the intent (pending), and PATCHes
   ``current - taken`` with ``If-Match``, sent once (a 429 is retried): a 412 means the line changed
   since the read, the entry is dropped and the reduction re-reads and re-plans; a 5xx or a dropped
   connection leaves the outcome unknown, so the entry stays pending and the error goes to the queue,
   whose redelivery settles it as in step 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.clients.d365 import D365Client, D365PreconditionFailed
from integration.errors import Conflict
from integration.refunds.errors import RefundBlocked
from integration.refunds.reduction import LineReduction
from shared import tables
from shared.hooks import Hooks
from shared.storage import Storage, safe_key

LINE_SET = "SalesOrderLines"
PENDING, APPLIED, UNCERTAIN = "pending", "applied", "uncertain"
_ATTEMPTS = 5

Entries = dict[str, dict[str, Any]]  # "<refund id>|<lot>" -> {refund, lot, taken, etag, state, before, after}


class LedgerConflict(Conflict):
    """The ledger kept changing under this writer: transient, the delivery is retried."""


@dataclass(frozen=True)
class Line:
    lot: str
    quantity: Decimal
    etag: str


def read_line(d365: D365Client, lot: str) -> Line:
    row = d365.get(LINE_SET, {"InventoryLotId": lot}, select=["InventoryLotId", "OrderedSalesQuantity"])
    return Line(lot, Decimal(str(row.get("OrderedSalesQuantity", 0))), str(row.get("@odata.etag", "")))


class Ledger:
    def __init__(self, storage: Storage, order_id: str) -> None:
        self.table = storage.table(tables.REFUND_REDUCTIONS)
        self.key = safe_key(order_id)

    def load(self) -> tuple[Entries, str]:
        try:
            row = self.table.get_entity(self.key, "ledger")
        except ResourceNotFoundError:
            return {}, ""
        return json.loads(row.get("Entries") or "{}"), str(row.metadata.get("etag") or "")

    def change(self, mutate: Callable[[Entries], None]) -> Entries:
        """Apply ``mutate`` to the freshest entries and save with ``If-Match`` (insert when new);
        on a concurrent save, re-read and apply again."""
        for _ in range(_ATTEMPTS):
            entries, etag = self.load()
            mutate(entries)
            row = {"PartitionKey": self.key, "RowKey": "ledger", "Entries": json.dumps(entries, sort_keys=True)}
            try:
                if etag:
                    self.table.update_entity(
                        row, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
                    )
                else:
                    self.table.create_entity(row)
                return entries
            except (ResourceModifiedError, ResourceExistsError, ResourceNotFoundError):
                continue
        raise LedgerConflict(f"refund reduction ledger of order {self.key} kept changing")


def resolve_pending(d365: D365Client, ledger: Ledger) -> Entries:
    """Settle every pending entry by the line's ETag (see the module docstring, step 1)."""
    entries, _ = ledger.load()
    pending = {key: e for key, e in entries.items() if e.get("state") == PENDING}
    if not pending:
        return entries
    verdicts = {key: _verdict(read_line(d365, str(e["lot"])), e) for key, e in pending.items()}

    def settle(current: Entries) -> None:
        for key, (verdict, seen) in verdicts.items():
            if key not in current or current[key].get("state") != PENDING:
                continue
            if current[key].get("etag") != pending[key].get("etag"):
                continue  # re-recorded by its owner since: leave it to the owner
            if verdict is None:
                del current[key]
            else:
                current[key]["state"] = verdict
                if verdict == UNCERTAIN:
                    current[key]["found"] = seen

    return ledger.change(settle)


def _verdict(line: Line, entry: dict[str, Any]) -> tuple[str | None, str]:
    """What a pending entry's line says about its write: None = not applied (see the module docstring)."""
    if line.etag == entry.get("etag"):
        return None, str(line.quantity)
    if line.quantity == Decimal(str(entry.get("after"))):
        return APPLIED, str(line.quantity)
    return UNCERTAIN, str(line.quantity)


def settle_before_write(d365: D365Client, storage: Storage, order_id: str) -> None:
    """For other writers of an open order's lines (order updates), under the order's lease and before
    their write: settle the refund reductions a dead writer left pending while the line still shows
    what that writer did or did not do."""
    resolve_pending(d365, Ledger(storage, order_id))


def reduce_order(
    d365: D365Client,
    storage: Storage,
    order_id: str,
    refund_id: str,
    plan: Callable[[], list[LineReduction]],
    hooks: Hooks | None = None,
) -> list[dict[str, str]]:
    """Apply this refund's reductions relative to F&O's current quantities, each line at most once.
    Returns the applied entries (lot, taken, before, after) for the refund record."""
    hooks = hooks or Hooks()
    ledger = Ledger(storage, order_id)
    for _ in range(_ATTEMPTS):
        entries = resolve_pending(d365, ledger)
        mine = [e for e in entries.values() if e["refund"] == refund_id]
        unsure = [e for e in mine if e["state"] == UNCERTAIN]
        if unsure:
            raise RefundBlocked(
                "refund_reduction_uncertain",
                "a reduction of this refund was interrupted and the sales line was changed before it could be "
                "checked: confirm the line's quantity in F&O by hand",
                {
                    "lines": [
                        {"lot": e["lot"], "before": e["before"], "expected": e["after"], "found": e.get("found", "")}
                        for e in unsure
                    ]
                },
            )
        done = {str(e["lot"]) for e in mine if e["state"] == APPLIED}
        todo = [r for r in plan() if r.lot not in done and r.before != r.after]
        intents: Entries = {}
        for r in todo:
            line = read_line(d365, r.lot)
            taken = r.before - r.after
            if taken > line.quantity:
                raise RefundBlocked(
                    "refund_exceeds_ordered",
                    f"refund takes {taken} x {r.item} but the open sales line has {line.quantity}",
                    {"lot": r.lot, "open": str(line.quantity), "taken": str(taken)},
                )
            intents[f"{refund_id}|{r.lot}"] = {
                "refund": refund_id,
                "lot": r.lot,
                "item": r.item,
                "taken": str(taken),
                "etag": line.etag,
                "before": str(line.quantity),
                "after": str(line.quantity - taken),
                "state": PENDING,
            }
        if intents:
            ledger.change(_add(intents))
        hooks.reached("refund.reduction_recorded", refund_id)
        stale = False
        for key, intent in intents.items():
            try:
                d365.update(
                    LINE_SET,
                    {"InventoryLotId": intent["lot"]},
                    {"OrderedSalesQuantity": Decimal(intent["after"])},
                    etag=intent["etag"],
                    # Not resent after a 5xx or a dropped connection: the write may have landed, and
                    # the resend's 412 would read as "not applied" and subtract again (found by the
                    # chaos run). The error propagates with the entry pending; the redelivery settles it.
                    retry_unknown=False,
                )
            except D365PreconditionFailed:
                stale = True  # the line changed since it was read: not applied, re-read and re-plan
                ledger.change(_drop(key))
                break
            hooks.reached("refund.line_patched", refund_id)  # a writer that dies here leaves it pending
            ledger.change(_mark_applied(key, intent))
        if not stale:
            final, _ = ledger.load()
            return [
                {k: str(e[k]) for k in ("lot", "item", "taken", "before", "after")}
                for e in final.values()
                if e["refund"] == refund_id and e["state"] == APPLIED
            ]
    raise LedgerConflict(f"the sales lines of order {order_id} kept changing during refund {refund_id}")


def _add(intents: Entries) -> Callable[[Entries], None]:
    def mutate(current: Entries) -> None:
        current.update(intents)

    return mutate


def _drop(key: str) -> Callable[[Entries], None]:
    def mutate(current: Entries) -> None:
        current.pop(key, None)

    return mutate


def _mark_applied(key: str, intent: dict[str, Any]) -> Callable[[Entries], None]:
    """The write succeeded: recorded as applied even if a settler dropped the entry meanwhile (this
    writer stalled past its lease and the line's ETag was read before the write landed)."""

    def mutate(current: Entries) -> None:
        current[key] = {**intent, "state": APPLIED}

    return mutate
