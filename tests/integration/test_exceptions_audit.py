from concurrent.futures import ThreadPoolExecutor

from integration.cases import ExceptionStore
from shared import tables
from shared.audit import AuditLog
from shared.storage import Storage
from tests.conftest import present


def test_exception_lifecycle(storage: Storage) -> None:
    store = ExceptionStore(storage)
    first = store.open(
        "order",
        "1001",
        "UNKNOWN_SKU",
        'SKU "ABC-1" is not a released product in F&O',
        {"sku": "ABC-1", "email": "someone@example.com"},
    )
    assert (first.status, first.attempts) == ("open", 1)
    again = store.open("order", "1001", "UNKNOWN_SKU", "still unknown", {"sku": "ABC-1"})
    assert again.attempts == 2 and again.first_seen == first.first_seen
    assert "someone@example.com" not in str(present(store.get("order", "1001")).values)  # redacted
    assert [r.entity_id for r in store.list(entity="order", reason_code="UNKNOWN_SKU")] == ["1001"]
    assert store.resolve("order", "1001", "synced as SO SH1001")
    assert present(store.get("order", "1001")).status == "resolved"
    assert not store.resolve("order", "1001", "again")
    assert store.list(entity="order", reason_code="UNKNOWN_SKU") == []


def test_concurrent_opens_count_every_attempt(storage: Storage) -> None:
    store = ExceptionStore(storage)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: store.open("refund", "r-9", "NOT_INVOICED", "waiting"), range(16)))
    assert present(store.get("refund", "r-9")).attempts == 16


def test_audit_timeline_and_day(storage: Storage) -> None:
    audit = AuditLog(storage)
    audit.record("order", "77", "validated", "ok", correlation_id="c1", snapshot={"email": "x@example.com", "id": 77})
    audit.record("order", "77", "create", "created", target="SH77", duration_ms=12.5)
    steps = audit.timeline("order", "77")
    assert [s.step for s in steps] == ["validated", "create"]
    assert steps[1].target == "SH77"
    rows = list(storage.table(tables.AUDIT).query_entities("PartitionKey eq 'order|77'"))
    assert all("x@example.com" not in str(r) for r in rows)
    day = steps[0].at[:10]
    daily = [e for e in audit.day(day, "order") if e.entity_id == "77"]
    assert [e.step for e in daily] == ["create"]  # the by-day index keeps outcomes, not every step
