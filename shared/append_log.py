"""Records written off the request path as NDJSON lines appended to append blobs.

``add()`` only puts the record in a bounded in-memory buffer; one daemon thread per writer flushes the
buffer every ``interval_s``: the records become JSON lines, and each flush appends them as one block
(``Append Block``, one round trip) to the blob of the hour the records were made in,
``<YYYY-MM-DD>/<HH>/<writer id>.ndjson`` in the writer's container. A Table insert per record, or an
entity group transaction per day, cost more client CPU than the work it recorded (the SDK builds and
parses a multipart batch); an append is one plain PUT of bytes.

Append blob limits, kept by construction:

* a block is at most 4 MiB (``MAX_BLOCK_BYTES``): a flush larger than that is split at line boundaries
  into several blocks (a single record larger than a block is dropped and counted);
* a blob takes at most 50,000 blocks: every writer has its own blobs (the writer id is the instance
  (``WEBSITE_INSTANCE_ID``, else the host name), the process id and a random suffix), a new blob every
  hour, and at most one flush per interval (7,200 an hour at 0.5 s). A writer counts its blocks per blob
  and moves on to ``<writer id>-<n>.ndjson`` before the limit (or when the service says so: 409
  ``BlockCountExceedsLimit``).

A blob is created on its writer's first flush into it, with ``If-None-Match: *``: two writers given the
same name (a restarted process reusing an id, a copy of the writer) must never truncate each other's
lines, so a 409/412 on create means "someone made it" and the append goes ahead. Each block is whole
lines, and Azure appends blocks atomically, so readers never see half a record.

Loss window, by design: records still in the buffer when the process dies are lost: what arrived in the
last ``interval_s`` (0.5 s by default), plus a flush in progress whose append did not complete (a block
is all or nothing; a flush waits at most for the storage timeouts and one retry, about 10 s, and records
keep arriving meanwhile). Every completed flush is kept. A flush that fails transiently goes back to the
head of the buffer for the next one; a permanent failure drops its records (counted in ``failed``); the
buffer keeps the newest ``max_rows`` under overload and counts the rest in ``dropped`` (buffer and
thread: ``shared.batch_writer.BufferedWriter``). Append Block is not idempotent: a retried block whose
first answer was lost, or a flush put back after a partial failure, can land twice; readers that count
(``integration.rates.quotes.day_counts``) count a record once, and the freight audit's latest-quote rule
is not changed by a repeat.
``tests/integration/test_append_log.py`` kills a writer's process with records in the buffer and checks
exactly what survives.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.storage.blob import BlobClient, ContainerClient

from shared.batch_writer import BufferedWriter
from shared.hooks import Hooks
from shared.storage import Storage

MAX_BLOCK_BYTES = 4 * 1024 * 1024  # Append Block: at most 4 MiB per block
MAX_BLOCKS = 50_000  # per append blob


def writer_id() -> str:
    """This process's writer name: the instance (Azure sets ``WEBSITE_INSTANCE_ID``), pid, a random part."""
    instance = os.environ.get("WEBSITE_INSTANCE_ID") or socket.gethostname() or "local"
    clean = "".join(c for c in instance if c.isalnum() or c in "-_")[:24] or "local"
    return f"{clean}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def blob_prefix(at: str) -> str:
    """``<YYYY-MM-DD>/<HH>/`` of an ISO UTC time (``2026-12-08T01:02:03.456789+00:00``): one folder per
    day (retention deletes whole days), one blob per writer and hour under it."""
    return f"{at[:10]}/{at[11:13]}/"


def blocks(lines: list[bytes], limit: int = MAX_BLOCK_BYTES) -> Iterator[bytes]:
    """Lines joined into blocks of at most ``limit`` bytes, never splitting a line."""
    chunk: list[bytes] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) > limit:
            yield b"".join(chunk)
            chunk, size = [], 0
        chunk.append(line)
        size += len(line)
    if chunk:
        yield b"".join(chunk)


class AppendLog(BufferedWriter):
    """Buffers records (JSON objects with an ``at`` ISO time) and appends them to hourly NDJSON blobs."""

    def __init__(
        self,
        storage_factory: Callable[[], Storage],
        container: str,
        interval_s: float = 0.5,
        max_rows: int = 10_000,
        event: str = "append_log.failed",
        *,
        name: str | None = None,
        block_bytes: int = MAX_BLOCK_BYTES,
        max_blocks: int = MAX_BLOCKS,
    ) -> None:
        super().__init__(storage_factory, container, interval_s, max_rows, event)
        self.container = container
        self.name = name or writer_id()
        self._block_bytes = min(block_bytes, MAX_BLOCK_BYTES)
        self._max_blocks = max_blocks
        self.hooks = Hooks()  # named pause points for race tests (no-op in production)
        self._blocks: dict[str, int] = {}  # blocks this writer appended, per blob it created or joined
        self._series: dict[str, int] = {}  # per hour prefix: the n of ``<name>-<n>`` in use

    def _write(self, rows: list[dict[str, Any]]) -> None:
        by_hour: dict[str, list[bytes]] = {}
        for row in rows:
            line = json.dumps(row, separators=(",", ":"), default=str).encode() + b"\n"
            if len(line) > self._block_bytes:
                with self._lock:  # add() counts under the same lock
                    self.dropped += 1
                continue
            by_hour.setdefault(blob_prefix(str(row["at"])), []).append(line)
        if len(self._blocks) > 2 * len(by_hour) + 8:  # forget past hours' blobs (a late line re-creates: 409)
            self._blocks = {n: c for n, c in self._blocks.items() if n[:14] in by_hour}
            self._series = {p: n for p, n in self._series.items() if p in by_hour}
        container = self._storage_factory().container(self.container)
        for prefix, lines in by_hour.items():
            for block in blocks(lines, self._block_bytes):
                self._append(container, prefix, block)
                self.written += block.count(b"\n")

    def _blob_name(self, prefix: str) -> str:
        n = self._series.get(prefix, 0)
        return f"{prefix}{self.name}.ndjson" if n == 0 else f"{prefix}{self.name}-{n}.ndjson"

    def _append(self, container: ContainerClient, prefix: str, block: bytes) -> None:
        name = self._blob_name(prefix)
        if self._blocks.get(name, 0) >= self._max_blocks:
            self._series[prefix] = self._series.get(prefix, 0) + 1
            name = self._blob_name(prefix)
        blob = container.get_blob_client(name)
        if name not in self._blocks:
            self._create(blob, name)
        try:
            blob.append_block(block)
        except ResourceNotFoundError:  # deleted behind this writer's back (retention of a past hour)
            self._create(blob, name)
            blob.append_block(block)
        except HttpResponseError as error:
            if getattr(error, "error_code", None) != "BlockCountExceedsLimit":
                raise
            self._blocks[name] = self._max_blocks  # full: the next name in the series
            self._append(container, prefix, block)
            return
        self._blocks[name] = self._blocks.get(name, 0) + 1

    def _create(self, blob: BlobClient, name: str) -> None:
        self.hooks.reached("append_log.create", name)
        try:
            blob.create_append_blob(if_none_match="*")  # never truncate another writer's lines
        except HttpResponseError as error:
            if error.status_code not in (409, 412):  # it exists: someone created it first
                raise
        self._blocks.setdefault(name, 0)


READ_RANGE = 32 * 1024 * 1024  # the SDK answers a range up to max_single_get_size (32 MiB) in one GET


def read_lines(
    storage: Storage, container: str, prefix: str, range_bytes: int = READ_RANGE
) -> Iterator[dict[str, Any]]:
    """Every record of the blobs under ``prefix`` (for example a day, ``2026-12-08/``), blob by blob.

    A blob is read as its listed size in ranges of at most ``range_bytes`` (32 MiB) bytes, each one GET: the SDK's
    own chunked download of a larger blob sends ``If-Match`` with its later chunks, which fails (412) on
    a blob still being appended to. Appended bytes never change and every block ends a line, so the listed
    size is a line boundary and the ranges join exactly."""
    client = storage.container(container)
    for item in client.list_blobs(name_starts_with=prefix):
        size = int(item.size or 0)
        data = b"".join(
            client.download_blob(item.name, offset=start, length=min(range_bytes, size - start)).readall()
            for start in range(0, size, range_bytes)
        )
        for line in data.splitlines():
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError:  # not one of ours: skipped, the rest of the blob still counts
                    continue


def delete_days_before(storage: Storage, container: str, day: str) -> int:
    """Delete every blob of the days before ``day`` (``YYYY-MM-DD``); the number deleted."""
    client = storage.container(container)
    deleted = 0
    for item in client.list_blobs():
        if item.name[:10] < day:
            try:
                client.delete_blob(item.name)
            except ResourceNotFoundError:
                continue
            deleted += 1
    return deleted
