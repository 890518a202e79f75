"""A refund whose money is pending completes by itself once Shopify settles it: Shopify sends no new
webhook, so every retry of the (stale) message re-reads the refund over GraphQL (issue 15)."""

from __future__ import annotations

import httpx

from integration.clients.d365 import D365Client
from integration.refunds.service import RefundService
from tests.integration.refunds.conftest import Clock, Sale


def shopify_refund(sale: Sale, index: int, quantity: int, status: str) -> dict:
    response = httpx.post(
        f"{sale.shopify_url}/_emulator/orders/{sale.order_id}/refunds",
        params={"webhook": "false"},
        json={
            "refund_line_items": [
                {"line_item_id": sale.line_id(index), "quantity": quantity, "restock_type": "return"}
            ],
            "transaction_status": status,
        },
    )
    assert response.status_code == 201, response.text
    return {**response.json()["refund"], "order_id": sale.order_id}


def test_the_shopify_client_reads_a_refunds_transactions(service: RefundService, sale: Sale) -> None:
    body = shopify_refund(sale, 0, 1, "pending")
    assert service.shopify is not None
    [transaction] = service.shopify.refund_transactions(f"gid://shopify/Refund/{body['id']}") or []
    assert transaction == {"id": str(body["transactions"][0]["id"]), "kind": "refund", "status": "pending"}
    assert service.shopify.refund_transactions("gid://shopify/Refund/1") is None


def test_a_pending_refund_completes_on_the_next_retry_after_shopify_settles_it(
    service: RefundService, sale: Sale, clock: Clock, d365: D365Client
) -> None:
    sale.invoice()
    body = shopify_refund(sale, 0, 1, "pending")  # the refunds/create webhook body, kept by the queue

    waiting = service.handle(body)
    assert (waiting.status, waiting.reason_code) == ("waiting", "refund_transaction_pending")

    settled = httpx.post(f"{sale.shopify_url}/_emulator/refunds/{body['id']}/settle", json={"status": "success"})
    assert settled.status_code == 200, settled.text
    clock.advance(0.01)  # the queue's redelivery, long before the wait horizon

    outcome = service.handle(body)  # the same stale message: transactions[0].status is still "pending"
    assert outcome.status == "credited", outcome
    assert outcome.credit_note


def test_a_refund_whose_money_failed_is_an_exception_not_a_wait(service: RefundService, sale: Sale) -> None:
    sale.invoice()
    body = shopify_refund(sale, 0, 1, "pending")
    assert service.handle(body).status == "waiting"
    httpx.post(f"{sale.shopify_url}/_emulator/refunds/{body['id']}/settle", json={"status": "failure"})
    outcome = service.handle(body)
    assert (outcome.status, outcome.reason_code) == ("exception", "refund_transaction_failed")
