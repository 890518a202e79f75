"""A Shopify Payments payout -> an F&O payout journal whose bank deposit equals the payout's net."""

from __future__ import annotations

from decimal import Decimal

import httpx

from integration.clients.d365 import D365Client, odata_literal
from integration.clients.shopify import ShopifyAdmin
from integration.payments.config import load_config
from integration.payments.journal import LINE_SET
from integration.payments.payouts import sync_payouts
from sandbox.emulators.serve import RunningServer
from shared.storage import Storage
from tests.integration.payments.conftest import add_transactions, invoiced_sale


def test_payout_journal_deposit_equals_the_payout_net_to_the_cent(
    d365: D365Client, shopify: ShopifyAdmin, storage: Storage, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale, total, _ = invoiced_sale(d365, d365_server.url, shopify_server.url)
    charge, refund = add_transactions(
        sale, {"kind": "sale", "amount": str(total)}, {"kind": "refund", "amount": "10.01"}
    )
    response = httpx.post(
        f"{shopify_server.url}/_emulator/payouts",
        json={
            "balance_transactions": [
                {"order_transaction_id": int(charge), "fee": "8.70"},
                {"order_transaction_id": int(refund), "type": "refund", "amount": "-10.01", "fee": "0.00"},
                {"type": "adjustment", "amount": "-0.33", "fee": "0.00"},
            ]
        },
    )
    assert response.status_code == 201, response.text
    payout_id, net = str(response.json()["id"]), Decimal(response.json()["net"])
    assert net == total - Decimal("8.70") - Decimal("10.01") - Decimal("0.33")
    config = load_config("config/payments.json").payout
    assert config is not None
    first = sync_payouts(storage, d365, shopify, config)
    again = sync_payouts(storage, d365, shopify, config)
    assert first["lines"] >= 2 and again["lines"] == 0
    lines = list(d365.query(LINE_SET, filter=f"PaymentReference eq {odata_literal(f'P{payout_id}-bank')}"))
    assert len(lines) == 1
    [bank] = lines
    assert bank["AccountType"] == "Bank" and Decimal(str(bank["DebitAmount"])) == net
    [fee] = list(d365.query(LINE_SET, filter=f"PaymentReference eq {odata_literal(f'P{payout_id}-fee-charge')}"))
    assert Decimal(str(fee["DebitAmount"])) == Decimal("8.70") and fee["OffsetAccountDisplayValue"] == "110150"
