"""The refund flow against the F&O and Shopify emulators over real HTTP, with Azurite storage."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client, D365Transient
from integration.clients.shopify import ShopifyAdmin, ShopifyTransient
from integration.orders.records import CREATED, OrderRecord, OrderRecords
from integration.refunds import flow
from integration.refunds.config import WAIT, RefundConfig
from integration.refunds.records import RefundRecords
from integration.refunds.service import RefundService
from integration.webhooks.envelope import Envelope
from sandbox.emulators.serve import RunningServer
from shared import queues
from shared.storage import Storage, calls_in_this_thread
from tests.integration.refunds.conftest import Clock, Sale, make_sale, mirror_in_fo, tax

pytestmark = pytest.mark.azurite


def return_orders(d365: D365Client, refund_id: object) -> list[dict]:
    return list(d365.query("ReturnOrderHeadersV2", filter=f"CustomerRequisitionNumber eq '{refund_id}'"))


def return_lines(d365: D365Client, number: str) -> list[dict]:
    return sorted(
        d365.query("ReturnOrderLinesV2", filter=f"ReturnOrderNumber eq '{number}'"),
        key=lambda r: r["LineCreationSequenceNumber"],
    )


def fo_http_requests(sale: Sale) -> int:
    return int(httpx.get(f"{sale.d365_url}/_emulator/requests", params={"last": 0}).json()["http_requests"])


def lose_answers(sale: Sale, faults: dict[str, object]) -> None:
    httpx.put(f"{sale.d365_url}/_emulator/faults", json=faults).raise_for_status()


def record_sync(storage: Storage, sale: Sale) -> None:
    """The order-sync record order sync saves once F&O has the order: its number and line lots."""
    lots: dict[str, list[str]] = {}
    for reference, lot in sale.lots.items():
        lots.setdefault(reference, []).append(lot)
    OrderRecords(storage).save(
        OrderRecord(str(sale.order_id), sales_order_number=sale.number, status=CREATED, line_lots=lots)
    )


def exception_of(storage: Storage, sale: Sale, body: dict):
    return ExceptionStore(storage).get("refund", f"{sale.order_id}/{body['id']}")


def test_full_refund_becomes_one_credit_note_linked_to_the_invoice(
    service: RefundService, sale: Sale, d365: D365Client, storage: Storage, shopify_server: RunningServer
) -> None:
    invoice = sale.invoice()
    body = sale.refund_body([(0, 2, "return"), (1, 3, "no_restock")], shipping=Decimal("10.00"))
    shop_before = httpx.get(f"{shopify_server.url}/_emulator/requests", params={"last": 0}).json()["counts"]
    outcome = service.handle(body)
    assert outcome.status == "credited", exception_of(storage, sale, body).to_dict()
    assert outcome.credit_note == f"RF{body['id']}"
    shop_after = httpx.get(f"{shopify_server.url}/_emulator/requests", params={"last": 0}).json()["counts"]
    sent = {k: v - shop_before.get(k, 0) for k, v in shop_after.items() if v != shop_before.get(k, 0)}
    assert {k: v for k, v in sent.items() if "mutation" in k or "tags" in k or "metafields" in k.lower()} == {
        "graphql tagsAdd+metafieldsSet": 1  # tags and metafields in ONE request
    }, sent
    (header,) = return_orders(d365, body["id"])
    assert header["ReturnOrderNumber"] == header["RMANumber"] == f"RF{body['id']}"
    lines = return_lines(d365, outcome.credit_note)
    assert [
        (r["ItemNumber"], r["ReturnSalesQuantity"], r["ReturningInventoryLotId"], r["ReturnDispositionCode"])
        for r in lines
    ] == [
        ("IPOD2008BLACK", -2, sale.lots[str(sale.line_id(0))], "Credit"),
        ("TSHIRT-1", -3, sale.lots[str(sale.line_id(1))], "CreditOnly"),
        ("FREIGHT", -1, sale.lots[f"shipping:{sale.shipping_id}"], "CreditOnly"),
    ]
    expected_tax = tax(Decimal("200")) + tax(Decimal("60")) + tax(Decimal("10"))
    assert -header["OrderTotalTaxAmount"] == expected_tax  # F&O's tax equals the refunded tax
    assert -header["OrderTotalAmount"] == Decimal("270.00") + expected_tax
    assert Decimal(str(invoice["TotalInvoiceAmount"])) == Decimal("270.00") + expected_tax  # all of it credited
    record = RefundRecords(storage).get(str(sale.order_id), str(body["id"]))
    assert record is not None and record.status == "credited" and record.writeback_done
    assert record.credit_note_number == outcome.credit_note and record.invoice_numbers == [invoice["InvoiceNumber"]]
    assert record.sales_order_number == sale.number and len(record.lines) == 3
    assert record.d365_total == record.shopify_total == str(Decimal("270.00") + expected_tax)
    summary = httpx.get(f"{shopify_server.url}/_emulator/orders/{sale.order_id}").json()["summary"]
    assert f"D365-CN-{outcome.credit_note}" in summary["tags"]
    assert summary["metafields"][f"d365.credit_note_{body['id']}"].startswith(outcome.credit_note)
    # F&O users post the credit note; the record can then name its invoice too.
    posted = httpx.post(f"{sale.d365_url}/_emulator/return-orders/{outcome.credit_note}/invoice", json={})
    assert posted.status_code == 201, posted.text


def test_partial_then_repeated_partial_refunds_never_exceed_the_invoice(
    service: RefundService, sale: Sale, d365: D365Client, storage: Storage
) -> None:
    sale.invoice()
    first, second, third = (
        sale.refund_body([(1, 1, "return")]),
        sale.refund_body([(1, 2, "return")]),
        sale.refund_body([(1, 1, "return")]),
    )
    assert service.handle(first).status == "credited"
    assert service.handle(second).status == "credited"
    lot = sale.lots[str(sale.line_id(1))]
    returned = [r for r in d365.query("ReturnOrderLinesV2", filter=f"ReturningInventoryLotId eq '{lot}'")]
    assert sorted(r["ReturnSalesQuantity"] for r in returned) == [-2, -1]
    outcome = service.handle(third)
    assert (outcome.status, outcome.reason_code) == ("exception", "refund_exceeds_invoiced")
    problem = exception_of(storage, sale, third)
    assert problem is not None and problem.values["invoiced"] == "3" and problem.values["already_returned"] == "3"
    assert return_orders(d365, third["id"]) == []


def test_shipping_only_refund_reverses_freight_and_its_tax(
    service: RefundService, sale: Sale, d365: D365Client
) -> None:
    sale.invoice()
    body = sale.refund_body(shipping=Decimal("10.00"))
    assert service.handle(body).status == "credited"
    (line,) = return_lines(d365, f"RF{body['id']}")
    assert line["ItemNumber"] == "FREIGHT" and line["LineAmount"] == Decimal("-10.00")
    assert line["TotalTaxAmount"] == -tax(Decimal("10.00"))


def test_pending_transaction_waits_with_backoff_then_becomes_an_exception(
    service: RefundService, sale: Sale, d365: D365Client, storage: Storage, clock: Clock
) -> None:
    sale.invoice()
    body = sale.refund_body([(0, 1, "return")], status="pending")
    delays = []
    for _ in range(3):
        outcome = service.handle(body)
        assert (outcome.status, outcome.reason_code) == ("waiting", "refund_transaction_pending")
        delays.append(outcome.retry_after)
        clock.advance(0.25)
    assert delays == [1, 2, 4] and return_orders(d365, body["id"]) == []  # never a zero-value credit note
    clock.advance(1)
    assert service.handle(body).status == "exception"
    assert exception_of(storage, sale, body).reason_code == "refund_transaction_pending"
    body["transactions"][0]["status"] = "success"  # money moved; ops retries
    assert service.handle(body).status == "credited"
    assert exception_of(storage, sale, body).status == "resolved"


def test_refund_before_any_invoice_reduces_the_open_sales_order_once(
    service: RefundService, sale: Sale, d365: D365Client
) -> None:
    body = sale.refund_body([(1, 2, "cancel")])
    assert service.handle(body).status == "order_reduced"
    lot = sale.lots[str(sale.line_id(1))]
    assert d365.get("SalesOrderLines", {"InventoryLotId": lot})["OrderedSalesQuantity"] == 1
    assert service.handle(body).status == "duplicate"
    assert d365.get("SalesOrderLines", {"InventoryLotId": lot})["OrderedSalesQuantity"] == 1
    assert return_orders(d365, body["id"]) == []


def test_refund_before_invoice_can_wait_for_the_invoice_instead(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, clock: Clock, sale: Sale
) -> None:
    waiting = RefundService(d365, shopify, storage, RefundConfig(uninvoiced_action=WAIT, retry_base_s=1), now=clock)
    body = sale.refund_body([(0, 1, "return")])
    outcome = waiting.handle(body)
    assert (outcome.status, outcome.reason_code) == ("waiting", "refund_not_invoiced")
    sale.invoice()
    assert waiting.handle(body).status == "credited"


def test_partially_invoiced_line_waits_for_the_rest(service: RefundService, sale: Sale) -> None:
    sale.invoice([{"InventoryLotId": sale.lots[str(sale.line_id(1))], "Quantity": 1}])
    outcome = service.handle(sale.refund_body([(1, 2, "return")]))
    assert (outcome.status, outcome.reason_code) == ("waiting", "refund_not_invoiced")


def test_duplicate_delivery_creates_one_credit_note(service: RefundService, sale: Sale, d365: D365Client) -> None:
    sale.invoice()
    body = sale.refund_body([(0, 1, "return")])
    assert [service.handle(body).status for _ in range(3)] == ["credited", "duplicate", "duplicate"]
    assert len(return_orders(d365, body["id"])) == 1


def test_refund_arriving_before_its_order_waits_then_credits(
    service: RefundService, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale = make_sale(d365, d365_server.url, shopify_server.url, in_fo=False)
    body = sale.refund_body([(0, 1, "return")])
    outcome = service.handle(body)
    assert (outcome.status, outcome.reason_code) == ("waiting", "refund_order_not_in_d365")
    mirror_in_fo(sale, "#late")
    sale.invoice()
    assert service.handle(body).status == "credited"


def test_created_but_response_lost_is_found_not_created_twice(
    service: RefundService, sale: Sale, d365: D365Client
) -> None:
    sale.invoice()
    body = sale.refund_body([(0, 1, "return")], shipping=Decimal("10.00"))
    faults = {"rate_lost_response": 1.0, "paths": r"\$batch", "seed": 1}

    # The reads before the write are answered; from the write on, every answer is lost.
    service.hooks.on("refund.writing", lambda _: lose_answers(sale, faults))
    with pytest.raises(D365Transient):
        service.handle(body)  # applied in F&O, every answer lost: the queue will redeliver
    service.hooks.clear()
    httpx.delete(f"{sale.d365_url}/_emulator/faults").raise_for_status()
    assert len(return_orders(d365, body["id"])) == 1
    assert RefundRecords(service.storage).get(str(sale.order_id), str(body["id"])) is None  # died before any save
    before = fo_http_requests(sale)
    # No refund record, so this looks like a first attempt: the write meets "already exists", F&O stops
    # the batch there, and the credit note is read on its own (one extra request, never a second note).
    # This fixture has no order-sync record either: the sales order is found by the Shopify order id
    # before its invoices and returns can be read (one more): 4 requests on this rare path.
    assert service.handle(body).status == "credited"
    assert fo_http_requests(sale) - before == 4
    (header,) = return_orders(d365, body["id"])
    assert len(return_lines(d365, header["ReturnOrderNumber"])) == 2


def test_a_retry_with_a_stored_record_finds_its_credit_note_in_the_read_batch(
    service: RefundService, sale: Sale, d365: D365Client
) -> None:
    body = sale.refund_body([(0, 1, "return")])
    service.config = RefundConfig(uninvoiced_action=WAIT, retry_base_s=1, retry_max_s=4, wait_horizon_s=3600)
    assert service.handle(body).reason_code == "refund_not_invoiced"  # the record is stored (waiting)
    sale.invoice()
    faults = {"rate_lost_response": 1.0, "paths": r"\$batch", "seed": 1}
    service.hooks.on("refund.writing", lambda _: lose_answers(sale, faults))
    with pytest.raises(D365Transient):
        service.handle(body)  # created in F&O, answer lost, record still "waiting"
    service.hooks.clear()
    httpx.delete(f"{sale.d365_url}/_emulator/faults").raise_for_status()
    before = fo_http_requests(sale)
    outcome = service.handle(body)
    assert outcome.status == "credited"
    assert fo_http_requests(sale) - before == 2  # the read batch finds it (no write); the order's lookup by id
    assert len(return_orders(d365, body["id"])) == 1


def test_first_attempt_of_a_synced_invoiced_order_is_two_fo_requests_and_no_existence_check(
    service: RefundService, sale: Sale, d365: D365Client, storage: Storage
) -> None:
    record_sync(storage, sale)
    sale.invoice()
    body = sale.refund_body([(0, 1, "return")], shipping=Decimal("10.00"))
    clear = httpx.delete(f"{sale.d365_url}/_emulator/requests")
    clear.raise_for_status()
    outcome = service.handle(body)
    assert outcome.status == "credited"
    log = httpx.get(f"{sale.d365_url}/_emulator/requests", params={"last": 100}).json()
    assert log["http_requests"] == 2, log["requests"]
    # Inside the two batches: the reads (never this refund's own return order on a first attempt), then
    # the changeset and its read-back (header totals, lines, posted credit note).
    assert [(r["method"], r["set"]) for r in log["requests"]] == [
        ("GET", "SalesOrderHeadersV2"),
        ("GET", "SalesInvoiceHeadersV2"),
        ("GET", "ReturnOrderLinesV2"),
        ("POST", "$batch"),
        ("POST", "ReturnOrderHeadersV2"),
        ("POST", "ReturnOrderLinesV2"),
        ("POST", "ReturnOrderLinesV2"),
        ("GET", "ReturnOrderHeadersV2"),
        ("GET", "ReturnOrderLinesV2"),
        ("GET", "SalesInvoiceHeadersV2"),
        ("POST", "$batch"),
    ]


def test_a_service_that_ignores_expand_costs_two_more_reads_and_credits_the_same(
    service: RefundService, sale: Sale, d365: D365Client, storage: Storage
) -> None:
    """F&O applies $expand; a service that answers without the expansion must not look like an order with
    no lines or uninvoiced lines: the sales lines and the invoice lines are then read on their own."""
    record_sync(storage, sale)
    sale.invoice()
    body = sale.refund_body([(0, 1, "return")], shipping=Decimal("10.00"))
    settings = f"{sale.d365_url}/_emulator/settings"
    httpx.put(settings, json={"ignore_expand": True}).raise_for_status()
    try:
        before = fo_http_requests(sale)
        outcome = service.handle(body)
        requests = fo_http_requests(sale) - before
    finally:
        httpx.put(settings, json={"ignore_expand": False}).raise_for_status()
    assert outcome.status == "credited"
    assert requests == 4  # read batch, the sales lines, the invoice lines, write batch
    [header] = return_orders(d365, body["id"])
    lines = d365.query("ReturnOrderLinesV2", filter=f"ReturnOrderNumber eq '{header['ReturnOrderNumber']}'")
    assert all(line["ReturningInventoryLotId"] for line in lines)  # linked to the invoiced lots


def test_f_and_o_validation_error_becomes_an_exception(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, sale: Sale
) -> None:
    sale.invoice()
    strict = RefundService(d365, shopify, storage, RefundConfig(disposition_restock="NO-SUCH-CODE"))
    body = sale.refund_body([(0, 1, "return")])
    outcome = strict.handle(body)
    assert (outcome.status, outcome.reason_code) == ("exception", "d365_rejected")
    assert "NO-SUCH-CODE" in exception_of(storage, sale, body).message
    assert return_orders(d365, body["id"]) == []  # the changeset is all or nothing


def test_f_and_o_tax_different_from_the_refunded_tax_is_an_exception_with_both_values(
    service: RefundService, sale: Sale, storage: Storage
) -> None:
    sale.invoice()
    httpx.put(f"{sale.d365_url}/_emulator/tax-groups", json={"TaxGroupCode": "CA", "Rate": "0.08"}).raise_for_status()
    body = sale.refund_body([(0, 1, "return")])
    outcome = service.handle(body)
    assert (outcome.status, outcome.reason_code) == ("mismatch", "refund_tax_mismatch")
    (difference,) = exception_of(storage, sale, body).values["differences"][:1]
    assert (difference["what"], difference["shopify"], difference["d365"]) == ("tax", "7.25", "8.00")


def test_waiting_message_is_put_back_on_the_queue(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, sale: Sale
) -> None:
    waiting = RefundService(d365, shopify, storage, RefundConfig(retry_base_s=0))
    body = sale.refund_body([(0, 1, "return")], status="pending")
    text = Envelope(
        topic="refunds/create", webhook_id=f"w-{body['id']}", resource_id=str(body["id"]), payload=body
    ).to_message()
    queue = storage.queue(queues.REFUNDS)
    queue.clear_messages()
    assert flow.process_message(storage, text, waiting).status == "waiting"
    (message,) = list(queue.receive_messages(max_messages=32))
    assert Envelope.from_message(message.content).resource_id == str(body["id"])
    queue.delete_message(message)


def test_resync_rereads_the_refund_from_shopify(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, sale: Sale, shopify_server: RunningServer
) -> None:
    sale.invoice()
    created = httpx.post(
        f"{shopify_server.url}/_emulator/orders/{sale.order_id}/refunds?webhook=false",
        json={"refund_line_items": [{"line_item_id": sale.line_id(0), "quantity": 1, "restock_type": "return"}]},
    )
    assert created.status_code == 201, created.text
    refund_id = created.json()["refund"]["id"]
    text = Envelope(
        topic=queues.RESYNC,
        webhook_id="resync-1",
        resource_id=f"{sale.order_id}/{refund_id}",
        payload={"entity": "refund", "id": f"{sale.order_id}/{refund_id}"},
    ).to_message()
    outcome = flow.process_message(storage, text, RefundService(d365, shopify, storage))
    assert outcome.status == "credited" and outcome.credit_note == f"RF{refund_id}"


def test_a_first_attempt_makes_six_storage_calls(service: RefundService, sale: Sale, storage: Storage) -> None:
    record_sync(storage, sale)
    sale.invoice()
    assert service.handle(sale.refund_body([(0, 1, "return")])).status == "credited"  # tables exist now
    before = dict(calls_in_this_thread())
    assert service.handle(sale.refund_body([(1, 1, "no_restock")])).status == "credited"
    made = {k: v - before[k] for k, v in calls_in_this_thread().items()}
    # lease, refund record, order record, one record save, one audit row, lease release
    assert made == {"table": 6, "queue": 0, "blob": 0}, made


def test_an_invalid_payload_is_an_exception_a_later_valid_delivery_resolves(
    service: RefundService, sale: Sale, storage: Storage
) -> None:
    sale.invoice()
    body = sale.refund_body([(0, 1, "return")])
    broken = {**body, "refund_line_items": [{"id": 1, "line_item_id": sale.line_id(0), "quantity": "x"}]}
    assert service.handle(broken).reason_code == "refund_payload_invalid"
    assert exception_of(storage, sale, body).status == "open"
    record = RefundRecords(storage).get(str(sale.order_id), str(body["id"]))
    assert record is not None and record.reason_code == "refund_payload_invalid"
    assert service.handle(body).status == "credited"
    assert exception_of(storage, sale, body).status == "resolved"


def test_a_write_back_that_fails_leaves_the_record_credited_and_a_redelivery_only_writes_back(
    service: RefundService, sale: Sale, storage: Storage
) -> None:
    record_sync(storage, sale)
    sale.invoice()
    body = sale.refund_body([(0, 1, "return")])
    down = {"rate_503": 1.0, "paths": "graphql"}
    httpx.put(f"{sale.shopify_url}/_emulator/faults", json=down).raise_for_status()
    try:
        with pytest.raises(ShopifyTransient):
            service.handle(body)
    finally:
        httpx.delete(f"{sale.shopify_url}/_emulator/faults").raise_for_status()
    record = RefundRecords(storage).get(str(sale.order_id), str(body["id"]))
    assert record is not None and record.status == "credited" and not record.writeback_done
    before = fo_http_requests(sale)
    assert service.handle(body).status == "duplicate"
    assert fo_http_requests(sale) == before  # nothing more in F&O: only the write-back
    record = RefundRecords(storage).get(str(sale.order_id), str(body["id"]))
    assert record is not None and record.writeback_done
