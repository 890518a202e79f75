"""``D365Client.read_batch`` / ``batch_then_read`` against the F&O emulator's ``$batch`` over real HTTP
(the emulator's own ``$batch`` rules are tested in ``sandbox/tests/emulators/d365/test_batch.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from integration.clients.d365 import (
    BatchOp,
    BatchRead,
    D365AlreadyExists,
    D365Client,
    D365NotFound,
    D365Transient,
    D365ValidationError,
)
from tests.integration.refunds.conftest import Sale


def http_requests(sale: Sale) -> int:
    return int(httpx.get(f"{sale.d365_url}/_emulator/requests", params={"last": 0}).json()["http_requests"])


def of_order(d365: D365Client, sale: Sale) -> str:
    return d365.company_filter(f"SalesOrderNumber eq '{sale.number}'")


def test_reads_travel_in_one_request_and_answer_each_in_its_part(d365: D365Client, sale: Sale) -> None:
    before = http_requests(sale)
    header, lines, nothing, missing = d365.read_batch(
        [
            BatchRead("SalesOrderHeadersV2", {"SalesOrderNumber": sale.number}, select=["SalesOrderNumber"]),
            BatchRead("SalesOrderLines", filter=of_order(d365, sale), select=["InventoryLotId"]),
            BatchRead("ReturnOrderHeadersV2", filter=d365.company_filter("ReturnOrderNumber eq 'RF-NONE'")),
            BatchRead("ReturnOrderHeadersV2", {"ReturnOrderNumber": "RF-NONE"}),  # a 404, last
        ]
    )
    assert http_requests(sale) - before == 1
    assert (header.entity() or {})["SalesOrderNumber"] == sale.number
    assert sorted(r["InventoryLotId"] for r in lines.rows()) == sorted(sale.lots.values())
    assert nothing.rows() == []
    assert missing.entity() is None and isinstance(missing.error, D365NotFound)
    with pytest.raises(D365NotFound):
        missing.rows()


def test_a_failed_part_is_the_error_a_single_get_raises_and_the_batch_stops_there(d365: D365Client, sale: Sale) -> None:
    failed, after = d365.read_batch(
        [
            BatchRead("ReturnOrderHeadersV2", {"ReturnOrderNumber": "RF-NONE"}),
            BatchRead("SalesOrderLines", filter=of_order(d365, sale)),
        ]
    )
    with pytest.raises(D365NotFound) as single:
        d365.get("ReturnOrderHeadersV2", {"ReturnOrderNumber": "RF-NONE"})
    assert type(failed.error) is type(single.value) and failed.error.status == single.value.status == 404
    assert isinstance(after.error, D365Transient) and "not answered" in after.error.message
    with pytest.raises(D365Transient):
        after.rows()


def test_reads_after_a_permanent_failure_carry_that_failure_not_a_transient_one(d365: D365Client, sale: Sale) -> None:
    """A refused read (400: no such property) stops the batch; the parts after it must not look like "try
    again" (the refund would be retried into poison instead of opening an exception with F&O's message)."""
    refused, after = d365.read_batch(
        [
            BatchRead("SalesOrderLines", filter="NoSuchProperty eq 'x'"),
            BatchRead("SalesOrderLines", filter=of_order(d365, sale)),
        ]
    )
    assert isinstance(refused.error, D365ValidationError)
    assert after.error is refused.error
    with pytest.raises(D365ValidationError):
        after.rows()


@pytest.fixture
def small_pages(sale: Sale) -> Iterator[None]:
    settings = f"{sale.d365_url}/_emulator/settings"
    size = httpx.get(settings).json()["page_size"]
    httpx.put(settings, json={"page_size": 2}).raise_for_status()
    yield
    httpx.put(settings, json={"page_size": size}).raise_for_status()


@pytest.mark.usefixtures("small_pages")
def test_a_paged_part_is_completed_with_ordinary_gets(d365: D365Client, sale: Sale) -> None:
    before = http_requests(sale)
    (lines,) = d365.read_batch([BatchRead("SalesOrderLines", filter=of_order(d365, sale))])
    assert len(lines.rows()) == 3  # 2 in the batch part, 1 on the next page
    assert http_requests(sale) - before == 2


def test_a_refused_changeset_is_returned_and_the_reads_after_it_are_unanswered(d365: D365Client, sale: Sale) -> None:
    header = {"SalesOrderNumber": sale.number, "OrderingCustomerAccountNumber": "US-001", "CurrencyCode": "USD"}
    reads = [BatchRead("SalesOrderLines", filter=of_order(d365, sale))]
    error, (lines,) = d365.batch_then_read([BatchOp("POST", "SalesOrderHeadersV2", header)], reads)
    assert isinstance(error, D365AlreadyExists)
    assert isinstance(lines.error, D365Transient)
    error, (lines,) = d365.batch_then_read(
        [BatchOp("PATCH", "SalesOrderHeadersV2", {}, {"SalesOrderNumber": sale.number})], reads
    )
    assert error is None and len(lines.rows()) == 3
