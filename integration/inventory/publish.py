"""Publishing quantities to Shopify with ``inventorySetQuantities`` (reference shopify.md §4.1).

One call carries up to 250 quantities. Each quantity carries the value we believe Shopify holds
(the ledger) as its compare-and-swap value: ``changeFromQuantity`` (required from 2026-04; ``null``
opts out; ``compareQuantity``/``ignoreCompareQuantity`` were removed in 2026-04, and every version
Shopify still serves has ``changeFromQuantity``). Every call carries ``@idempotent(key:)``; the key
is derived from the run id and the batch content, so a retried or resumed batch reuses it and
Shopify answers the original result instead of applying it twice. The client refuses to publish
when Shopify reports a version older than 2026-01 (X-Shopify-API-Version).

Shopify rejects the whole call when any quantity has a user error. Stale compare values are
refreshed from Shopify and the call is retried (bounded); quantities with a permanent error (item
gone, not stocked at the location) are taken out and reported; the rest is sent again.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from integration.clients.shopify import ShopifyAdmin, ShopifyError
from integration.errors import Permanent
from integration.inventory.quantities import Change

NAMESPACE = uuid.UUID("8a0f6a34-5d0b-4b7e-9a51-2f3c1c6f1e10")
STALE = frozenset({"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"})
CONCURRENT = frozenset({"IDEMPOTENCY_CONCURRENT_REQUEST"})
# userError code -> the reason reported for a quantity taken out of the batch
PERMANENT = {
    "INVALID_INVENTORY_ITEM": "unknown_item",
    "ITEM_NOT_STOCKED_AT_LOCATION": "not_stocked",
    "INVALID_LOCATION": "invalid_location",
    "NON_MUTABLE_INVENTORY_ITEM": "not_mutable",
    "INVALID_QUANTITY_TOO_HIGH": "invalid_quantity",
    "INVALID_QUANTITY_TOO_LOW": "invalid_quantity",
    "INVALID_QUANTITY_NEGATIVE": "invalid_quantity",
}
READ_CHUNK = 100  # aliases per quantity read (~3 points each, under the 1,000-point query cap)


class PublishError(ShopifyError, Permanent):
    """Shopify refused a batch for a reason retrying cannot fix (bad reason/name/URI, ...)."""


MUTATION = (
    "mutation inventorySetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {\n"
    "  inventorySetQuantities(input: $input) @idempotent(key: $key) {"
    " inventoryAdjustmentGroup { id } userErrors { field message code } } }"
)


def levels_query(count: int, name: str) -> str:
    """One query reading ``count`` (item, location) levels by alias (built at run time)."""
    params = ", ".join(f"$i{n}: ID!, $l{n}: ID!" for n in range(count))
    body = " ".join(
        f"q{n}: inventoryItem(id: $i{n}) {{ inventoryLevel(locationId: $l{n}) "
        f"{{ quantities(names: [{json.dumps(name)}]) {{ name quantity }} }} }}"
        for n in range(count)
    )
    return f"query inventoryNow({params}) {{ {body} }}"


@dataclass(frozen=True)
class Quantity:
    change: Change
    item_id: str  # InventoryItem gid
    compare: int | None  # what Shopify should hold now (None: do not compare)


@dataclass
class BatchOutcome:
    applied: list[Quantity] = field(default_factory=list)
    skipped: list[tuple[Quantity, str]] = field(default_factory=list)
    stale_retries: int = 0
    calls: int = 0


def idempotency_key(run_id: str, name: str, rows: list[Quantity]) -> str:
    content = json.dumps(
        [run_id, name, [[q.item_id, q.change.location_id, q.change.quantity, q.compare] for q in rows]],
        separators=(",", ":"),
    )
    return str(uuid.uuid5(NAMESPACE, content))


def variables(rows: list[Quantity], *, name: str, reason: str, uri: str | None, key: str) -> dict[str, Any]:
    quantities = [
        {
            "inventoryItemId": q.item_id,
            "locationId": q.change.location_id,
            "quantity": q.change.quantity,
            "changeFromQuantity": q.compare,  # an explicit null opts out of the check
        }
        for q in rows
    ]
    payload: dict[str, Any] = {"name": name, "reason": reason, "quantities": quantities}
    if uri:
        payload["referenceDocumentUri"] = uri
    return {"input": payload, "key": key}


def _row_index(error: dict[str, Any]) -> int | None:
    path = error.get("field") or []
    if len(path) >= 3 and path[1] == "quantities" and str(path[2]).isdigit():
        return int(path[2])
    return None


class Publisher:
    def __init__(
        self,
        shopify: ShopifyAdmin,
        *,
        name: str,
        reason: str,
        max_conflict_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.shopify = shopify
        self.name = name
        self.reason = reason
        self.max_conflict_retries = max_conflict_retries
        self.sleep = sleep

    def publish(self, rows: list[Quantity], run_id: str, uri: str | None) -> BatchOutcome:
        outcome = BatchOutcome()
        pending = list(rows)
        conflicts = 0
        while pending:
            key = idempotency_key(run_id, self.name, pending)
            # The shape depends on the version Shopify serves (reported), not the configured string.
            self.shopify.require_version()
            data = self.shopify.graphql(
                MUTATION,
                variables(pending, name=self.name, reason=self.reason, uri=uri, key=key),
                expected_cost=10,
            )
            outcome.calls += 1
            errors = (data.get("inventorySetQuantities") or {}).get("userErrors") or []
            if not errors:
                outcome.applied.extend(pending)
                return outcome
            stale: set[int] = set()
            dropped: dict[int, str] = {}
            retry_same = False
            for error in errors:
                code, index = str(error.get("code") or ""), _row_index(error)
                if code in STALE and index is not None:
                    stale.add(index)
                elif code in PERMANENT and index is not None:
                    dropped[index] = PERMANENT[code]
                elif code in CONCURRENT:
                    retry_same = True  # the same key is being processed right now: ask again shortly
                else:
                    raise PublishError(
                        f"inventorySetQuantities refused the batch: {code or ''} "
                        f"{error.get('message')} (field {error.get('field')})"
                    )
            outcome.skipped.extend((pending[i], reason) for i, reason in sorted(dropped.items()))
            if stale or retry_same:
                conflicts += 1
                if conflicts > self.max_conflict_retries:
                    outcome.skipped.extend((pending[i], "conflict_retries_exhausted") for i in sorted(stale))
                    pending = [q for i, q in enumerate(pending) if i not in stale and i not in dropped]
                    if retry_same:
                        outcome.skipped.extend((q, "conflict_retries_exhausted") for q in pending)
                        return outcome
                    continue
                outcome.stale_retries += len(stale)
                if retry_same and not stale:
                    self.sleep(min(2.0, 0.25 * conflicts))
            refreshed = self.current([pending[i] for i in sorted(stale)]) if stale else {}
            remaining: list[Quantity] = []
            for i, q in enumerate(pending):
                if i in dropped:
                    continue
                if i in stale:
                    now = refreshed.get((q.item_id, q.change.location_id))
                    if now is None:  # no level at that location (any more)
                        outcome.skipped.append((q, "not_stocked"))
                        continue
                    if now == q.change.quantity:
                        outcome.applied.append(q)  # someone already set it (e.g. our own earlier attempt)
                        continue
                    q = Quantity(q.change, q.item_id, now)
                remaining.append(q)
            pending = remaining
        return outcome

    def current(self, rows: list[Quantity]) -> dict[tuple[str, str], int | None]:
        """What Shopify holds now for each (item, location), under the published quantity name."""
        found: dict[tuple[str, str], int | None] = {}
        for start in range(0, len(rows), READ_CHUNK):
            chunk = rows[start : start + READ_CHUNK]
            values: dict[str, Any] = {}
            for n, q in enumerate(chunk):
                values[f"i{n}"], values[f"l{n}"] = q.item_id, q.change.location_id
            data = self.shopify.graphql(levels_query(len(chunk), self.name), values, expected_cost=3 * len(chunk) + 1)
            for n, q in enumerate(chunk):
                level = (data.get(f"q{n}") or {}).get("inventoryLevel") or {}
                amounts = {x["name"]: x["quantity"] for x in level.get("quantities") or []}
                found[(q.item_id, q.change.location_id)] = amounts.get(self.name)
        return found
