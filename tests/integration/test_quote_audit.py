import uuid
from datetime import UTC, datetime, timedelta

from integration.rates.quotes import CONTAINER, QuoteRecorder, day_counts, day_quotes, quote_row
from integration.retention import purge_rate_quotes
from shared.storage import Storage

BODY = {"rates": [{"service_code": "FEDEX_GROUND", "total_price": "1973"}]}


def _row(source: str, at: datetime | None = None) -> dict:
    return quote_row(
        source=source,
        reason="",
        latency_ms=1.0,
        body=BODY,
        destination_country="US",
        destination_postal="10001",
        currency="USD",
        correlation_id="quote-audit-test",
        at=at,
    )


def test_quotes_are_appended_in_blocks_and_counted(storage: Storage) -> None:
    recorder = QuoteRecorder(lambda: storage, interval_s=60)  # no timed flush: flushed by hand below
    rows = [_row("cache" if i % 5 else "fedex") for i in range(150)]
    for row in rows:
        recorder.add(row)
    recorder.wait_idle()
    assert recorder.written == 150 and recorder.dropped == 0
    day = rows[0]["at"][:10]
    counts = day_counts(storage, day)
    assert counts.get("fedex", 0) >= 30 and counts.get("cache", 0) >= 120
    mine = [r for r in day_quotes(storage, day) if r["correlation_id"] == "quote-audit-test"]
    assert len(mine) >= 150 and mine[-1]["rates"] == [{"code": "FEDEX_GROUND", "price": "1973"}]
    assert mine[-1]["postal_prefix"] == "100" and "10001" not in str(mine)  # no full postal code kept
    assert day_counts(storage, "\x1f") == {} == day_counts(storage, f"{day}/../")  # not a day: no quotes


def test_retention_purges_quote_days_older_than_the_setting(storage: Storage) -> None:
    now = datetime.now(UTC)
    recorder = QuoteRecorder(lambda: storage, interval_s=3600)
    old, kept = now - timedelta(days=40), now - timedelta(days=3)
    for at in (old, kept):
        recorder.add(_row("fedex", at))
    recorder.flush()
    assert purge_rate_quotes(storage, 30, now) >= 1
    names = [b.name for b in storage.container(CONTAINER).list_blobs()]
    assert not [n for n in names if n.startswith(old.strftime("%Y-%m-%d"))]
    assert [n for n in names if n.startswith(kept.strftime("%Y-%m-%d"))]


def test_a_quote_appended_twice_counts_once(storage: Storage) -> None:
    """An Append Block retried after its answer was lost (or a flush put back after a transient failure)
    can land twice; the dashboard's counts do not double it."""
    recorder = QuoteRecorder(lambda: storage)
    row = quote_row(
        source="cache",
        reason="",
        latency_ms=1.0,
        body={"rates": []},
        destination_country="US",
        destination_postal="94103",
        currency="USD",
        correlation_id=f"dup-{uuid.uuid4().hex}",
    )
    day = str(row["at"])[:10]
    before = day_counts(storage, day).get("cache", 0)
    recorder.add(row)
    recorder.flush()
    recorder.add(dict(row))  # the same record again
    recorder.flush()
    assert day_counts(storage, day).get("cache", 0) == before + 1
