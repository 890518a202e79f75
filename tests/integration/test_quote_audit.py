from integration.rates.quotes import QuoteRecorder, day_counts, quote_row
from shared import tables
from shared.storage import Storage


def test_quotes_are_written_in_batches_and_counted(storage: Storage) -> None:
    recorder = QuoteRecorder(lambda: storage, interval_s=60)  # no timed flush: flushed by hand below
    body = {"rates": [{"service_code": "FEDEX_GROUND", "total_price": "1973"}]}
    rows = [
        quote_row(
            source="cache" if i % 5 else "fedex",
            reason="",
            latency_ms=1.0,
            body=body,
            destination_country="US",
            destination_postal="10001",
            currency="USD",
            correlation_id=str(i),
        )
        for i in range(150)
    ]
    for row in rows:
        recorder.add(row)
    recorder.wait_idle()
    assert recorder.written == 150 and recorder.dropped == 0
    counts = day_counts(storage, rows[0]["PartitionKey"])
    assert counts.get("fedex", 0) >= 30 and counts.get("cache", 0) >= 120
    stored = storage.table(tables.RATE_QUOTES).get_entity(rows[0]["PartitionKey"], rows[0]["RowKey"])
    assert stored["PostalPrefix"] == "100" and "10001" not in str(stored)  # no full postal code kept


def test_retention_purges_quote_days_older_than_the_setting(storage: Storage) -> None:
    from datetime import UTC, datetime, timedelta

    from integration.retention import purge_rate_quotes

    now = datetime.now(UTC)
    table = storage.table(tables.RATE_QUOTES)
    old_day = (now - timedelta(days=40)).strftime("%Y-%m-%d")
    kept_day = (now - timedelta(days=3)).strftime("%Y-%m-%d")
    for day in (old_day, kept_day):
        table.upsert_entity({"PartitionKey": day, "RowKey": f"purge-test-{day}", "Source": "fedex"})
    assert purge_rate_quotes(storage, 30, now) >= 1
    assert not list(table.query_entities("PartitionKey eq @d", parameters={"d": old_day}))
    assert list(table.query_entities("PartitionKey eq @d", parameters={"d": kept_day}))
