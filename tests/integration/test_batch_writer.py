"""Rows written off the request path (shared.batch_writer): bounded, batched per partition, and what a
crash can lose is only what is still buffered."""

from __future__ import annotations

import uuid
from typing import Any

from shared import tables
from shared.audit import AuditLog, daily_writer
from shared.batch_writer import BatchWriter
from shared.storage import Storage


def _rows(partition: str, count: int) -> list[dict[str, str]]:
    return [{"PartitionKey": partition, "RowKey": f"{i:04d}", "V": str(i)} for i in range(count)]


class _CountingStorage:
    """The writer's storage, counting the transactions sent to its table (and only this test's: the
    process-wide call counter also sees other tests' background writers)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.transactions: list[int] = []

    def table(self, name: str) -> Any:
        client = self.storage.table(name)
        outer = self

        class Counting:
            def submit_transaction(self, operations: list[Any]) -> Any:
                outer.transactions.append(len(operations))
                return client.submit_transaction(operations)

        return Counting()


def test_rows_of_one_partition_go_in_transactions_of_100(storage: Storage) -> None:
    table = f"bw{uuid.uuid4().hex[:12]}"
    counting = _CountingStorage(storage)
    writer = BatchWriter(lambda: counting, table, interval_s=3600)  # type: ignore[arg-type,return-value]
    for row in _rows("a", 150) + _rows("b", 3):
        writer.add(row)
    writer.flush()
    assert sorted(counting.transactions) == [3, 50, 100]  # a: 100 + 50, b: 3
    assert writer.written == 153 and writer.pending() == 0
    assert len(list(storage.table(table).list_entities())) == 153


def test_a_full_buffer_keeps_the_newest_rows_and_counts_the_rest(storage: Storage) -> None:
    table = f"bw{uuid.uuid4().hex[:12]}"
    writer = BatchWriter(lambda: storage, table, interval_s=3600, max_rows=5)
    for row in _rows("a", 8):
        writer.add(row)
    assert writer.pending() == 5 and writer.dropped == 3
    # A crash now would lose exactly these 5 buffered rows: nothing is in the table yet.
    assert list(storage.table(table).list_entities()) == []
    writer.flush()
    assert sorted(r["RowKey"] for r in storage.table(table).list_entities()) == ["0003", "0004", "0005", "0006", "0007"]


def test_the_by_day_audit_row_is_batched_and_read_back_in_this_process(storage: Storage) -> None:
    audit = AuditLog(storage)
    entity_id = uuid.uuid4().hex
    audit.record("order", entity_id, "create", "created", target="SO-1")
    assert [e.outcome for e in audit.timeline("order", entity_id)] == ["created"]  # the entity row at once
    writer = daily_writer(storage)  # the by-day row waits for its next flush (1 s) or a read
    day = audit.timeline("order", entity_id)[0].at[:10]
    assert any(e.entity_id == entity_id for e in audit.day(day))  # day() flushes this process's rows first
    assert writer.pending() == 0 and storage.table(tables.AUDIT_DAILY) is not None


def test_a_transient_failure_puts_the_rows_back_and_a_permanent_one_drops_them(storage: Storage) -> None:
    table = f"bw{uuid.uuid4().hex[:12]}"
    # Storage that does not answer (nothing listens on port 9 here): a transient failure.
    down = Storage.from_setting(
        "S",
        {
            "S": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
            "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
            "TableEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        },
    )
    current = {"storage": down}
    writer = BatchWriter(lambda: current["storage"], table, interval_s=3600, max_rows=6)
    for row in _rows("a", 4):
        writer.add(row)
    writer.flush()
    assert writer.pending() == 4 and writer.failed == 0  # back in the buffer, oldest first
    writer.add(_rows("a", 5)[4])
    writer.add({"PartitionKey": "a", "RowKey": "0005", "V": "5"})
    writer.add({"PartitionKey": "a", "RowKey": "0006", "V": "6"})
    assert writer.pending() == 6 and writer.dropped == 1  # the bound holds: the oldest row went
    current["storage"] = storage
    writer.flush()
    assert sorted(r["RowKey"] for r in storage.table(table).list_entities()) == [f"{i:04d}" for i in range(1, 7)]
    # A permanent refusal (a key with a character the Table service refuses) is dropped and counted.
    writer.add({"PartitionKey": "a", "RowKey": "bad/key", "V": "x"})
    writer.flush()
    assert writer.pending() == 0 and writer.failed == 1
