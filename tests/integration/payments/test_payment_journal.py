"""Shopify transactions -> F&O customer payment journal lines, through both emulators over HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import httpx

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client, odata_literal
from integration.payments import records as rec
from integration.payments.journal import HEADER_SET, LINE_SET
from integration.payments.service import PaymentSync
from integration.refunds.service import RefundService
from sandbox.emulators.serve import RunningServer
from tests.integration.payments.conftest import add_transactions, invoiced_sale


def lines_for(d365: D365Client, reference: str) -> list[dict]:
    return list(d365.query(LINE_SET, filter=f"PaymentReference eq {odata_literal(reference)}"))


def test_captured_order_ends_with_a_settle_ready_line_equal_to_the_capture(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale, total, invoice = invoiced_sale(d365, d365_server.url, shopify_server.url)
    auth, capture = add_transactions(
        sale,
        {"kind": "authorization", "amount": str(total), "gateway": "shopify_payments"},
        {"kind": "capture", "amount": str(total), "gateway": "shopify_payments"},
    )
    result = payments.sync_order(str(sale.order_id))
    assert result["created"] == 1 and result["blocked"] == 0
    assert lines_for(d365, auth) == []  # an authorization moves no money
    [line] = lines_for(d365, capture)
    assert Decimal(str(line["CreditAmount"])) == total and Decimal(str(line["DebitAmount"])) == 0
    assert line["AccountType"] == "Cust" and line["AccountDisplayValue"] == "US-001"
    assert line["MarkedInvoice"] == invoice and line["SettleVoucher"] == "SelectedTransact"
    assert line["PaymentMethodName"] == "SHOPIFY" and line["CurrencyCode"] == "USD"
    header = d365.find(HEADER_SET, f"JournalBatchNumber eq {odata_literal(line['JournalBatchNumber'])}")
    assert (
        header is not None
        and header["IsPosted"] == "No"
        and header["Description"].startswith("Shopify shopify_payments ")
    )
    [row] = [
        r
        for r in rec.PaymentRecords(payments.storage).rows()
        if r["RowKey"] == capture and r.get("OrderId") == str(sale.order_id)
    ]
    assert row["Status"] == rec.SETTLE_READY

    # An F&O user posts the journal: the next run sees the line settled.
    posted = httpx.post(f"{d365_server.url}/_emulator/payment-journals/{line['JournalBatchNumber']}/post")
    assert posted.status_code == 200, posted.text
    assert payments.refresh_settlement() >= 1
    [row] = [
        r
        for r in rec.PaymentRecords(payments.storage).rows()
        if r["RowKey"] == capture and r.get("OrderId") == str(sale.order_id)
    ]
    assert row["Status"] == rec.SETTLED


def test_duplicates_and_a_lost_response_write_one_line_per_transaction(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale, total, _ = invoiced_sale(d365, d365_server.url, shopify_server.url)
    [sale_tx] = add_transactions(sale, {"kind": "sale", "amount": str(total), "gateway": "paypal"})
    # The F&O emulator writes every line it is sent and drops the connection before answering.
    fault = httpx.put(
        f"{d365_server.url}/_emulator/faults",
        json={"rate_lost_response": 1.0, "paths": LINE_SET, "methods": ["POST"]},
    )
    try:
        first = payments.sync_order(str(sale.order_id))
    except Exception:  # the client gave up on the lost response: the line exists in F&O anyway
        first = {"created": 0}
    finally:
        httpx.delete(f"{d365_server.url}/_emulator/faults")
    second = payments.sync_order(str(sale.order_id))
    third = payments.sync_order(str(sale.order_id))
    assert len(lines_for(d365, sale_tx)) == 1
    assert first["created"] + second["created"] + third["created"] <= 1
    assert third == {**third, "created": 0, "existing": 1}
    [line] = lines_for(d365, sale_tx)
    assert line["PaymentMethodName"] == "PAYPAL" and Decimal(str(line["CreditAmount"])) == total
    assert fault.status_code in (200, 204), fault.text


def test_partial_capture_and_refund(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale, total, invoice = invoiced_sale(d365, d365_server.url, shopify_server.url)
    [auth] = add_transactions(sale, {"kind": "authorization", "amount": str(total)})
    part = (total - Decimal("40.00")).quantize(Decimal("0.01"))
    capture, refund = add_transactions(
        sale,
        {"kind": "capture", "amount": str(part), "parent_id": int(auth)},
        {"kind": "refund", "amount": "15.25", "parent_id": int(auth)},
    )
    result = payments.sync_order(str(sale.order_id))
    assert result["created"] == 2
    [captured] = lines_for(d365, capture)
    assert Decimal(str(captured["CreditAmount"])) == part and captured["MarkedInvoice"] == invoice
    assert "partial capture" in captured["PaymentNotes"]
    [refunded] = lines_for(d365, refund)
    assert Decimal(str(refunded["DebitAmount"])) == Decimal("15.25") and Decimal(str(refunded["CreditAmount"])) == 0
    assert refunded["MarkedInvoice"] == ""  # left open, settled against the credit note by hand
    rows = {r["RowKey"]: r for r in rec.PaymentRecords(payments.storage).rows()}
    assert rows[capture]["Partial"] is True and rows[refund]["Status"] == rec.OPEN


def test_gift_card_and_unknown_gateway_are_exceptions_with_reasons(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale, total, _ = invoiced_sale(d365, d365_server.url, shopify_server.url)
    gift, odd, cash = add_transactions(
        sale,
        {"kind": "sale", "amount": "20.00", "gateway": "gift_card"},
        {"kind": "sale", "amount": "5.00", "gateway": "bitcoin_wallet"},
        {"kind": "sale", "amount": str(total - Decimal("25.00")), "gateway": "manual"},
    )
    result = payments.sync_order(str(sale.order_id))
    assert result["blocked"] == 2 and result["created"] == 1
    store = ExceptionStore(payments.storage)
    gift_exc, odd_exc = store.get("payment", gift), store.get("payment", odd)
    assert gift_exc is not None and gift_exc.reason_code == "payment_gift_card" and "gift-card" in gift_exc.message
    assert odd_exc is not None and odd_exc.reason_code == "payment_gateway_unmapped"
    assert lines_for(d365, gift) == [] and lines_for(d365, odd) == []
    [line] = lines_for(d365, cash)
    assert line["PaymentMethodName"] == "MANUAL" and line["OffsetAccountType"] == "Bank"


def test_an_order_without_invoice_waits(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    from tests.integration.refunds.conftest import make_sale

    sale = make_sale(d365, d365_server.url, shopify_server.url)
    [tx] = add_transactions(sale, {"kind": "sale", "amount": "10.00"})
    assert payments.sync_order(str(sale.order_id))["status"] == "not_invoiced"
    assert lines_for(d365, tx) == []


def test_the_ops_report_shows_the_lines(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    from integration import bootstrap
    from integration.ops.api import Request
    from shared.principal import Principal

    sale, total, _ = invoiced_sale(d365, d365_server.url, shopify_server.url)
    [tx] = add_transactions(sale, {"kind": "sale", "amount": str(total)})
    payments.sync_order(str(sale.order_id))
    status, body = bootstrap.ops_router().dispatch(
        payments.storage, Request("GET", "money/payments", {}, b"", Principal("t"))
    )
    assert status == 200 and any(r["transaction"] == tx and r["status"] == "settle_ready" for r in body["rows"])
    status, body = bootstrap.ops_router().dispatch(
        payments.storage, Request("GET", "money/payments", {"since": "x"}, b"", Principal("t"))
    )
    assert status == 400


def test_lost_journal_header_answers_leave_one_journal(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale, total, _ = invoiced_sale(d365, d365_server.url, shopify_server.url)
    [tx] = add_transactions(sale, {"kind": "sale", "amount": str(total), "gateway": "manual"})
    # Every header POST is applied and its answer lost: the client retries, F&O numbers each one anew.
    httpx.put(
        f"{d365_server.url}/_emulator/faults",
        json={"rate_lost_response": 1.0, "paths": HEADER_SET, "methods": ["POST"]},
    ).raise_for_status()
    try:
        result = payments.sync_order(str(sale.order_id))
    finally:
        httpx.delete(f"{d365_server.url}/_emulator/faults")
    assert result["created"] == 1
    [line] = lines_for(d365, tx)
    description = f"Shopify manual {line['TransactionDate'][:10]}"
    headers = list(d365.query(HEADER_SET, filter=f"Description eq {odata_literal(description)}"))
    assert [h["JournalBatchNumber"] for h in headers] == [line["JournalBatchNumber"]]


def test_the_timer_run_picks_invoiced_orders_from_the_order_records(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    from integration.orders.records import CREATED, OrderRecord, OrderRecords, now_iso

    sale, total, invoice = invoiced_sale(d365, d365_server.url, shopify_server.url)
    since = now_iso()  # Azurite lives for the whole session: only this test's record is in range
    record = OrderRecord(str(sale.order_id), "#poll", sale.number, CREATED, synced_at=now_iso())
    OrderRecords(payments.storage).save(record)
    [tx] = add_transactions(sale, {"kind": "sale", "amount": str(total)})
    summary = payments.poll(since=since)
    assert summary == {**summary, "orders": 1, "lines": 1, "errors": 0}
    [line] = lines_for(d365, tx)
    assert line["MarkedInvoice"] == invoice and Decimal(str(line["CreditAmount"])) == total
    assert payments.poll(since=since)["lines"] == 0 and lines_for(d365, tx) == [line]


def test_optional_posting_posts_closed_days_and_records_f_and_o_refusals(
    payments: PaymentSync, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale, total, _ = invoiced_sale(d365, d365_server.url, shopify_server.url)
    [capture] = add_transactions(sale, {"kind": "sale", "amount": str(total), "gateway": "shopify_payments"})
    payments.sync_order(str(sale.order_id))
    [line] = lines_for(d365, capture)
    batch = str(line["JournalBatchNumber"])
    day = datetime.fromisoformat(str(line["TransactionDate"]).replace("Z", "+00:00"))

    # Off by default: nothing is posted.
    assert payments.post_journals(day + timedelta(days=2)) == {"posted": 0, "refused": 0}
    payments.config.posting.enabled = True
    # The day is not over yet: its journal may still receive lines.
    assert payments.post_journals(day) == {"posted": 0, "refused": 0}
    still_open = d365.find(HEADER_SET, f"JournalBatchNumber eq {odata_literal(batch)}")
    assert still_open is not None and still_open["IsPosted"] == "No"
    # F&O refuses a journal that does not balance (a line without an offset account): an exception with F&O's reason.
    blocker = add_transactions(sale, {"kind": "sale", "amount": "1.00", "gateway": "shopify_payments"})
    d365.create(
        LINE_SET,
        {"JournalBatchNumber": batch, "LineNumber": 99, "AccountType": "Cust", "AccountDisplayValue": "US-001",
         "CreditAmount": Decimal("1.00"), "CurrencyCode": "USD", "PaymentReference": blocker[0]},
    )  # fmt: skip
    assert payments.post_journals(day + timedelta(days=1))["refused"] >= 1
    refused = ExceptionStore(payments.storage).get("payment_journal", batch)
    assert refused is not None and refused.reason_code == "payment_journal_post_failed"
    assert "do not balance" in refused.message
    d365.delete(LINE_SET, {"JournalBatchNumber": batch, "LineNumber": 99})

    # Posted through the tenant's posting service; the next look marks the line settled.
    assert payments.post_journals(day + timedelta(days=1))["posted"] >= 1  # other tests' journals may join
    header = d365.find(HEADER_SET, f"JournalBatchNumber eq {odata_literal(batch)}")
    assert header is not None and header["IsPosted"] == "Yes"
    assert payments.refresh_settlement() >= 1
    [row] = [
        r
        for r in rec.PaymentRecords(payments.storage).rows()
        if r["RowKey"] == capture and r.get("OrderId") == str(sale.order_id)
    ]
    assert row["Status"] == rec.SETTLED
    resolved = ExceptionStore(payments.storage).get("payment_journal", batch)
    assert resolved is not None and resolved.status != "open"
    # Posting twice is refused by F&O; the flow reads IsPosted first and does not ask again.
    again = httpx.post(
        f"{d365_server.url}/api/services/ShopifyIntegrationServices/CustomerPaymentJournalPostService/post",
        json={"journalBatchNumber": batch, "dataAreaId": "usmf"},
        headers={"Authorization": "Bearer local-dev-token"},
    )
    assert again.status_code == 500 and "already posted" in again.json()["Message"]
    assert payments.post_journals(day + timedelta(days=1)) == {"posted": 0, "refused": 0}


def test_a_refund_line_is_marked_against_its_credit_note_once_f_and_o_posts_it(
    payments: PaymentSync,
    d365: D365Client,
    d365_server: RunningServer,
    shopify_server: RunningServer,
    service: RefundService,
) -> None:
    sale, total, _ = invoiced_sale(d365, d365_server.url, shopify_server.url)
    add_transactions(sale, {"kind": "sale", "amount": str(total), "gateway": "manual"})
    # Shopify refunds one T-shirt; the refund flow credits it in F&O (a return order, not invoiced yet).
    made = httpx.post(
        f"{shopify_server.url}/_emulator/orders/{sale.order_id}/refunds?webhook=false",
        json={"refund_line_items": [{"line_item_id": sale.line_id(1), "quantity": 1, "restock_type": "no_restock"}]},
    )
    assert made.status_code == 201, made.text
    refund = made.json()["refund"]
    outcome = service.handle(refund | {"order_id": sale.order_id})
    assert outcome.status == "credited", outcome
    [refund_tx] = [str(t["id"]) for t in refund["transactions"]]

    first = payments.sync_order(str(sale.order_id))
    assert first["blocked"] == 0, first
    assert first["created"] == 2, first  # the sale and the refund (Shopify lists refund transactions on the order)
    [line] = lines_for(d365, refund_tx)
    assert (
        line["MarkedInvoice"] == "" and f"return order {outcome.credit_note} not invoiced yet" in line["PaymentNotes"]
    )
    [row] = [
        r
        for r in rec.PaymentRecords(payments.storage).rows()
        if r["RowKey"] == refund_tx and r.get("OrderId") == str(sale.order_id)
    ]
    assert row["Status"] == rec.OPEN

    # F&O users post the credit note: the next run marks the (unposted) refund line against it.
    posted = httpx.post(f"{d365_server.url}/_emulator/return-orders/{outcome.credit_note}/invoice", json={})
    assert posted.status_code == 201, posted.text
    credit_note = str(posted.json()["InvoiceNumber"])
    payments.sync_order(str(sale.order_id))
    [line] = lines_for(d365, refund_tx)
    assert line["MarkedInvoice"] == credit_note and line["SettleVoucher"] == "SelectedTransact"
    assert Decimal(str(line["DebitAmount"])) == Decimal(str(refund["transactions"][0]["amount"]))
    [row] = [
        r
        for r in rec.PaymentRecords(payments.storage).rows()
        if r["RowKey"] == refund_tx and r.get("OrderId") == str(sale.order_id)
    ]
    assert row["Status"] == rec.SETTLE_READY and row["MarkedInvoice"] == credit_note
