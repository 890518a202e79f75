"""What happened to each Shopify transaction: Table ``payments`` (PartitionKey = UTC day of the
transaction, RowKey = transaction id), read by the reports, the console's Money page and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from azure.data.tables import UpdateMode

from shared import tables
from shared.storage import Storage, safe_key

SETTLE_READY, OPEN, SETTLED, BLOCKED = "settle_ready", "open", "settled", "blocked"
POSTED = "posted"  # an unmarked line in a posted journal: open in AR, settled there by its reference


class PaymentRecords:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _table(self) -> Any:
        return self.storage.table(tables.PAYMENTS)

    def save(self, day: str, transaction_id: str, **values: Any) -> None:
        row = {"PartitionKey": safe_key(day), "RowKey": safe_key(transaction_id), **values}
        self._table().upsert_entity(row, mode=UpdateMode.MERGE)

    def rows(self, since: str = "", until: str = "9999") -> Iterator[dict[str, Any]]:
        query = "PartitionKey ge @a and PartitionKey le @b"
        yield from self._table().query_entities(query, parameters={"a": since or "0000", "b": until})

    def with_status(self, status: str) -> Iterator[dict[str, Any]]:
        yield from self._table().query_entities("Status eq @s", parameters={"s": status})
