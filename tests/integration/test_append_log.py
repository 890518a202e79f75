"""Records appended to NDJSON append blobs off the request path (shared.append_log): lines round-trip,
one round trip per flush, a big flush is split into blocks under the limit, a full blob rolls over, two
writers creating the same blob never truncate each other, and a crash loses exactly the buffer."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

from shared.append_log import AppendLog, delete_days_before, read_lines
from shared.storage import Storage, calls_in_this_thread
from tests.conftest import ROOT
from tests.races import Paused

AT = "2026-12-08T01:02:03.000004+00:00"


def _container() -> str:
    return f"al{uuid.uuid4().hex[:12]}"


def _rows(start: int, count: int, at: str = AT, pad: int = 0) -> list[dict[str, object]]:
    return [{"at": at, "i": i, "pad": "x" * pad} for i in range(start, start + count)]


def test_rows_round_trip_in_order_with_one_append_per_flush(storage: Storage) -> None:
    container = _container()
    writer = AppendLog(lambda: storage, container, interval_s=3600, name="w1")
    for row in _rows(0, 30):
        writer.add(row)
    writer.flush()  # first flush into the hour's blob: create (If-None-Match: *) + append
    for row in _rows(30, 20):
        writer.add(row)
    before = calls_in_this_thread()["blob"]
    writer.flush()
    assert calls_in_this_thread()["blob"] - before == 1  # one Append Block, whatever the number of rows
    assert [r["i"] for r in read_lines(storage, container, "2026-12-08/")] == list(range(50))
    names = [b.name for b in storage.container(container).list_blobs()]
    assert names == ["2026-12-08/01/w1.ndjson"]
    props = storage.container(container).get_blob_client(names[0]).get_blob_properties()
    assert props.blob_type == "AppendBlob" and props.append_blob_committed_block_count == 2
    assert writer.written == 50 and writer.failed == 0 and writer.pending() == 0


def test_a_flush_bigger_than_a_block_is_split_at_line_boundaries(storage: Storage) -> None:
    container = _container()
    writer = AppendLog(lambda: storage, container, interval_s=3600, name="w1", block_bytes=1000)
    rows = _rows(0, 25, pad=100)  # ~150 bytes a line: 6 lines a block
    rows.append({"at": AT, "i": 99, "pad": "y" * 2000})  # bigger than a block on its own: dropped, counted
    for row in rows:
        writer.add(row)
    writer.flush()
    assert [r["i"] for r in read_lines(storage, container, "2026-12-08/")] == list(range(25))
    props = storage.container(container).get_blob_client("2026-12-08/01/w1.ndjson").get_blob_properties()
    assert props.append_blob_committed_block_count == 5  # 25 lines, at most 6 a block
    assert writer.dropped == 1 and writer.written == 25


def test_a_blob_read_in_small_ranges_joins_exactly_while_it_grows(storage: Storage) -> None:
    """Ranged reads (one GET each, so no If-Match between chunks, which the SDK's own chunked download of a
    blob over 32 MiB sends and a blob being appended to fails with 412) up to the listed size: lines cut by
    a range boundary join again, and lines appended after the listing are read next time."""
    container = _container()
    writer = AppendLog(lambda: storage, container, interval_s=3600, name="w1")
    for row in _rows(0, 40, pad=37):
        writer.add(row)
    writer.flush()
    lines = read_lines(storage, container, "2026-12-08/", range_bytes=100)  # ~70-byte lines: cut everywhere
    first = next(lines)
    for row in _rows(40, 5):  # appended after this read listed the blob
        writer.add(row)
    writer.flush()
    assert [first["i"], *(r["i"] for r in lines)] == list(range(40))  # the listed size read: no more, no less
    assert [r["i"] for r in read_lines(storage, container, "2026-12-08/", range_bytes=100)] == list(range(45))


def test_rows_go_to_the_blob_of_their_hour_and_a_full_blob_rolls_over(storage: Storage) -> None:
    container = _container()
    writer = AppendLog(lambda: storage, container, interval_s=3600, name="w1", max_blocks=2)
    for start in (0, 1, 2):
        writer.add(_rows(start, 1)[0])
        writer.flush()
    writer.add(_rows(3, 1, at="2026-12-08T02:00:00.000000+00:00")[0])
    writer.flush()
    names = sorted(b.name for b in storage.container(container).list_blobs())
    assert names == ["2026-12-08/01/w1-1.ndjson", "2026-12-08/01/w1.ndjson", "2026-12-08/02/w1.ndjson"]
    assert sorted(r["i"] for r in read_lines(storage, container, "2026-12-08/")) == [0, 1, 2, 3]
    for hour in range(24):  # a long-lived writer forgets past hours' blobs; a late line still lands
        writer.add({"at": f"2026-12-09T{hour:02d}:00:00.000000+00:00", "i": 100 + hour})
        writer.flush()
    writer.add(_rows(4, 1)[0])  # a late line of 2026-12-08 01:00, the blob's writer long forgotten
    writer.flush()
    assert len(writer._blocks) <= 10 and writer.failed == 0
    assert sorted(r["i"] for r in read_lines(storage, container, "2026-12-08/")) == [0, 1, 2, 3, 4]
    assert len(list(read_lines(storage, container, "2026-12-09/"))) == 24


def test_two_writers_creating_the_same_blob_keep_each_others_lines(storage: Storage) -> None:
    """Both writers decide the blob is new to them; the second one's create comes after the first has
    created it and appended (forced by a pause point, not timing): its create must not truncate those
    lines (If-None-Match: *, then 409/412 = it exists)."""
    container = _container()
    first = AppendLog(lambda: storage, container, interval_s=3600, name="same")
    second = AppendLog(lambda: storage, container, interval_s=3600, name="same")
    for row in _rows(0, 3):
        first.add(row)
    for row in _rows(10, 2):
        second.add(row)
    racer = Paused(second, "append_log.create", second.flush).start()  # about to create the blob
    first.flush()  # creates it and appends its 3 lines
    racer.finish()
    assert [r["i"] for r in read_lines(storage, container, "2026-12-08/")] == [0, 1, 2, 10, 11]
    assert first.failed == second.failed == 0


CRASH = """
import os, sys
from shared.append_log import AppendLog
from shared.storage import Storage
storage = Storage.from_setting("S", {"S": sys.argv[1]})
writer = AppendLog(lambda: storage, sys.argv[2], interval_s=3600, name="crash")
for i in range(3):
    writer.add({"at": sys.argv[3], "i": i})
writer.flush()
for i in range(3, 5):
    writer.add({"at": sys.argv[3], "i": i})
os._exit(1)  # killed with two records in the buffer
"""


def test_a_crash_loses_exactly_the_records_still_in_the_buffer(storage: Storage, azurite: str) -> None:
    container = _container()
    done = subprocess.run([sys.executable, "-c", CRASH, azurite, container, AT], cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 1
    assert [r["i"] for r in read_lines(storage, container, "2026-12-08/")] == [0, 1, 2]  # 3 and 4 lost


def test_retention_deletes_whole_days_before_the_cutoff(storage: Storage) -> None:
    container = _container()
    writer = AppendLog(lambda: storage, container, interval_s=3600, name="w1")
    now = datetime(2026, 12, 8, 1, tzinfo=UTC)
    for days_ago in (3, 2, 1, 0):
        writer.add({"at": (now - timedelta(days=days_ago)).isoformat(timespec="microseconds"), "i": days_ago})
    writer.flush()
    assert delete_days_before(storage, container, "2026-12-07") == 2  # 12-05 and 12-06
    assert sorted(b.name[:10] for b in storage.container(container).list_blobs()) == ["2026-12-07", "2026-12-08"]
