"""Many small records per Table entity ("buckets"), for the SKU cache and the ledger.

One entity per (partition, bucket) holds a JSON object of records keyed by SKU; a SKU's bucket is a
stable hash (CRC-32 modulo ``BUCKETS``). Why: the SDK needs ~0.3 ms per entity to read and ~3 ms per
entity to write even in 100-operation transactions, so one entity per SKU and location makes a
50,000 x 3 catalog cost minutes of storage time per run; packed, a run reads and writes a few
hundred entities (64 buckets per partition). The JSON is split over properties of at most 30,000
characters (Table strings
hold 64 KiB of UTF-16), so a bucket can grow to the 1 MiB entity limit (about 15,000 records).

Writes are buffered: callers ``put`` records and ``flush`` the dirty buckets when they choose (or
``prepare`` them here and ``write`` them on a background thread).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from typing import Any

from azure.data.tables import TableClient, TransactionOperation, UpdateMode

from shared.storage import Storage, safe_key

BUCKETS = 64
CHUNK = 30_000
TRANSACTION_BYTES = 3_000_000  # a Table transaction carries at most 4 MiB and 100 operations


def bucket_of(key: str) -> str:
    return f"b{zlib.crc32(key.encode('utf-8')) % BUCKETS:03d}"


class PackedTable:
    def __init__(self, storage: Storage, name: str) -> None:
        self.table: TableClient = storage.table(name)
        self.data: dict[tuple[str, str], dict[str, Any]] = {}  # (partition, bucket) -> {key: record}
        self.dirty: set[tuple[str, str]] = set()
        self.entities_read = 0
        self.entities_written = 0

    def load(self, partition: str) -> None:
        for entity in self.table.query_entities("PartitionKey eq @p", parameters={"p": safe_key(partition)}):
            self.entities_read += 1
            chunks = [entity[f"E{n}"] for n in range(int(entity.get("Chunks") or 0))]
            self.data[(partition, str(entity["RowKey"]))] = json.loads("".join(chunks) or "{}")

    def records(self, partition: str) -> Iterator[tuple[str, Any]]:
        for (p, _bucket), records in self.data.items():
            if p == partition:
                yield from records.items()

    def get(self, partition: str, key: str) -> Any:
        return self.data.get((partition, bucket_of(key)), {}).get(key)

    def put(self, partition: str, key: str, record: Any) -> None:
        where = (partition, bucket_of(key))
        self.data.setdefault(where, {})[key] = record
        self.dirty.add(where)

    def delete(self, partition: str, key: str) -> None:
        where = (partition, bucket_of(key))
        if self.data.get(where, {}).pop(key, None) is not None:
            self.dirty.add(where)

    def flush(self) -> int:
        """Write the dirty buckets (REPLACE); returns how many entities were written."""
        return self.write(self.prepare())

    def prepare(self) -> list[list[Any]]:
        """Snapshot the dirty buckets as Table transactions (and mark them clean): :meth:`write`
        may then run on another thread while records keep changing here."""
        by_partition: dict[str, list[dict[str, Any]]] = {}
        for partition, bucket in sorted(self.dirty):
            text = json.dumps(self.data.get((partition, bucket), {}), separators=(",", ":"))
            pieces = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
            entity: dict[str, Any] = {"PartitionKey": safe_key(partition), "RowKey": bucket, "Chunks": len(pieces)}
            entity.update({f"E{n}": piece for n, piece in enumerate(pieces)})
            by_partition.setdefault(partition, []).append(entity)
        self.dirty.clear()
        transactions: list[list[Any]] = []
        for entities in by_partition.values():
            operations: list[Any] = []
            size = 0
            for entity in entities:
                length = sum(len(v) for k, v in entity.items() if k.startswith("E")) * 2
                if operations and (len(operations) == 100 or size + length > TRANSACTION_BYTES):
                    transactions.append(operations)
                    operations, size = [], 0
                operations.append((TransactionOperation.UPSERT, entity, {"mode": UpdateMode.REPLACE}))
                size += length
            if operations:
                transactions.append(operations)
        return transactions

    def write(self, transactions: list[list[Any]]) -> int:
        for operations in transactions:
            self.table.submit_transaction(operations)
        written = sum(len(ops) for ops in transactions)
        self.entities_written += written
        return written
