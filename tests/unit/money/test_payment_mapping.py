"""The pure payment mapping: every configured gateway, what moves no money, partial captures, refunds
against their credit note, gift cards / store credit / unknown gateways / another currency as reasons."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.payments.config import load_config
from integration.payments.mapping import map_transactions, parse_transactions

CONFIG = load_config("config/payments.json")


def node(tid: int, kind: str, amount: str, gateway: str = "shopify_payments", **extra: object) -> dict:
    return {
        "id": f"gid://shopify/OrderTransaction/{tid}",
        "kind": kind,
        "status": extra.pop("status", "SUCCESS"),
        "gateway": gateway,
        "processedAt": "2026-11-20T15:04:05Z",
        "amountSet": {"shopMoney": {"amount": amount, "currencyCode": extra.pop("currency", "USD")}},
        **extra,
    }


@pytest.mark.parametrize(
    ("gateway", "method", "offset"),
    [("shopify_payments", "SHOPIFY", "110150"), ("paypal", "PAYPAL", "110160"), ("Manual", "MANUAL", "USMF OPER")],
)
def test_each_configured_gateway_maps_to_its_method_and_clearing_account(
    gateway: str, method: str, offset: str
) -> None:
    [line], blocked = map_transactions(parse_transactions([node(1, "SALE", "50.00", gateway)]), CONFIG, "USD", ["INV1"])
    assert blocked == []
    assert (line.method, line.offset_account, line.marked_invoice, line.role) == (method, offset, "INV1", "receipt")


def test_what_moves_no_money_is_ignored() -> None:
    nodes = [
        node(1, "AUTHORIZATION", "80.00"),
        node(2, "VOID", "80.00"),
        node(3, "SALE", "80.00", status="FAILURE"),
        node(4, "SUGGESTED_REFUND", "5.00"),
    ]
    assert map_transactions(parse_transactions(nodes), CONFIG, "USD", ["INV1"]) == ([], [])


def test_partial_capture_refund_and_exceptions() -> None:
    nodes = [
        node(1, "AUTHORIZATION", "100.00"),
        node(2, "CAPTURE", "60.00", parentTransaction={"id": "gid://shopify/OrderTransaction/1"}),
        node(3, "REFUND", "10.00"),
        node(4, "REFUND", "5.00"),
        node(5, "SALE", "20.00", "gift_card"),
        node(6, "SALE", "7.00", "shopify_store_credit"),
        node(7, "SALE", "3.00", "crypto"),
        node(8, "SALE", "9.00", currency="CAD"),
    ]
    notes = {"3": ("RF9", "CN-0001"), "4": ("RF10", "")}
    lines, blocked = map_transactions(parse_transactions(nodes), CONFIG, "USD", ["INV1", "INV2"], notes)
    by_id = {line.transaction.id: line for line in lines}
    assert by_id["2"].partial and by_id["2"].transaction.amount == Decimal("60.00")
    assert by_id["2"].marked_invoice == ""  # two invoices: settled by hand
    assert by_id["3"].role == "refund" and by_id["3"].marked_invoice == "CN-0001"
    assert by_id["4"].marked_invoice == "" and "RF10 not invoiced yet" in " ".join(by_id["4"].notes)
    reasons = {b.transaction.id: b.reason_code for b in blocked}
    assert reasons == {
        "5": "payment_gift_card",
        "6": "payment_store_credit",
        "7": "payment_gateway_unmapped",
        "8": "payment_currency_mismatch",
    }
    assert all(b.message for b in blocked)
