"""Table rows written off the request path: a bounded in-memory buffer that one daemon thread writes
in entity group transactions (up to 100 rows of one partition each).

For rows that many units of work add to the same partition (the checkout quote audit, the audit's
by-day index): one transaction per partition per flush instead of one insert per row.

Loss window, by design: rows still in the buffer when the process dies are lost: what arrived during
the last ``interval_s``, plus those of a flush in progress (a flush waits at most for the storage
client's timeouts and one retry, about 10 s, while new rows keep arriving). A flush that fails with a
transient error (no answer, 429/5xx: ``shared.storage.storage_unavailable``) puts its rows back at the
head of the buffer for the next one; a permanent failure drops them (counted in ``failed``). When
storage cannot keep up, the buffer keeps the newest ``max_rows`` and counts what it dropped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from shared.logs import get_logger, log_event
from shared.storage import Storage, storage_unavailable

MAX_ROWS = 10_000
TRANSACTION_ROWS = 100  # the Table service's limit per entity group transaction
IDLE_FLUSHES = 20  # the thread ends after this many empty intervals (one per Storage would pile up)
log = get_logger(__name__)


class BufferedWriter:
    """A bounded buffer of records and one daemon thread that hands them to ``_write`` every
    ``interval_s`` (the thread ends after ``IDLE_FLUSHES`` empty intervals; the next ``add`` starts one).
    ``_write`` raising is logged (``event``) and its records counted in ``failed``: a record of work must
    never fail the work or crash the worker."""

    def __init__(self, storage_factory: Callable[[], Storage], name: str, interval_s: float, max_rows: int, event: str):
        self._storage_factory = storage_factory
        self._thread_name = f"batch-{name}"
        self._buffer: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._interval = interval_s
        self._max_rows = max_rows
        self._event = event
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.failed = 0
        self.written = 0

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            if len(self._buffer) >= self._max_rows:
                self._buffer.popleft()
                self.dropped += 1
            self._buffer.append(row)
            if self._thread is None or not self._thread.is_alive():  # none yet, idle exit, or died
                self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
                self._thread.start()

    def pending(self) -> int:
        return len(self._buffer)

    def _run(self) -> None:
        idle = 0
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            idle = idle + 1 if not self._buffer else 0
            with self._lock:
                if idle >= IDLE_FLUSHES and not self._buffer:
                    self._thread = None  # the next add() starts a new thread
                    return
            self.flush()

    def flush(self) -> None:
        with self._flushing:  # one flush at a time: records are written in the order they came
            with self._lock:
                rows, self._buffer = list(self._buffer), deque()
            if not rows:
                return
            try:
                self._write(rows)
            except Exception as error:  # never fail the work or crash the worker
                again = storage_unavailable(error)
                with self._lock:
                    if again:  # back at the head for the next flush, within the buffer's bound (the newest kept)
                        kept = rows[max(0, len(rows) - (self._max_rows - len(self._buffer))) :]
                        self.dropped += len(rows) - len(kept)
                        self._buffer.extendleft(reversed(kept))
                    else:
                        self.failed += len(rows)
                log_event(log, self._event, error=type(error).__name__, rows=len(rows), retried=again)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Flush now and return (tests, reads in this process, shutdown)."""
        deadline = time.monotonic() + timeout
        self.flush()
        while self._buffer and time.monotonic() < deadline:
            time.sleep(0.05)
            self.flush()


class BatchWriter(BufferedWriter):
    """Buffers rows for one table and writes them in entity group transactions from one daemon thread."""

    def __init__(
        self,
        storage_factory: Callable[[], Storage],
        table: str,
        interval_s: float = 0.5,
        max_rows: int = MAX_ROWS,
        event: str = "batch_writer.failed",
    ) -> None:
        super().__init__(storage_factory, table, interval_s, max_rows, event)
        self.table = table

    def _write(self, rows: list[dict[str, Any]]) -> None:
        table = self._storage_factory().table(self.table)
        by_partition: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_partition.setdefault(row["PartitionKey"], []).append(row)
        for partition_rows in by_partition.values():
            for start in range(0, len(partition_rows), TRANSACTION_ROWS):
                table.submit_transaction([("upsert", r) for r in partition_rows[start : start + TRANSACTION_ROWS]])
        self.written += len(rows)
