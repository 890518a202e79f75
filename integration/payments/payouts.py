"""Shopify Payments payouts -> an F&O payout journal, so the bank reconciliation matches the statement.

One journal per payout (``Description`` = ``Shopify payout <id>``): a bank line for the payout's net
(debit the bank account for a deposit, credit it for a withdrawal) and fee lines (per balance
transaction type, or one total) on the fee account, both offset against the clearing account the
customer payments were received on. The deposit equals the payout's ``net`` to the cent; the payout is
refused (``payout_mismatch`` exception) when its balance transactions do not add up to that net.

Balance transactions are read page by page and matched to the payout by ``associatedPayout.id`` (the
documented link), not by a search-syntax filter.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.payments.config import Payout
from integration.payments.journal import JournalLine, open_journal, write_line
from integration.payments.mapping import legacy
from shared.storage import Storage

PAYOUT_QUERY = """
query Payouts($after: String) {
  shopifyPaymentsAccount {
    payouts(first: 50, after: $after) {
      nodes { id issuedAt status transactionType net { amount currencyCode } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
BALANCE_QUERY = """
query Balance($after: String) {
  shopifyPaymentsAccount {
    balanceTransactions(first: 100, after: $after) {
      nodes { id type amount { amount currencyCode } fee { amount } net { amount } associatedPayout { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
MAX_PAGES = 200


@dataclass
class PayoutJournal:
    payout_id: str
    net: Decimal
    currency: str
    lines: list[JournalLine]

    @property
    def deposit(self) -> Decimal:
        bank = [line for line in self.lines if line.reference.endswith("-bank")]
        return sum((line.debit - line.credit for line in bank), Decimal(0))


def _pages(shopify: ShopifyAdmin, query: str, field: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    for _ in range(MAX_PAGES):
        data = shopify.graphql(query, {"after": after})
        connection = ((data.get("shopifyPaymentsAccount") or {}).get(field)) or {}
        nodes.extend(connection.get("nodes") or [])
        info = connection.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            break
        after = info.get("endCursor")
    return nodes


def build_journal(payout: dict[str, Any], balance: list[dict[str, Any]], config: Payout) -> PayoutJournal:
    pid = legacy(payout["id"])
    net = Decimal(str(payout["net"]["amount"]))
    currency = str(payout["net"]["currencyCode"])
    day = str(payout["issuedAt"])[:10]
    mine = [b for b in balance if legacy((b.get("associatedPayout") or {}).get("id") or "") == pid]
    total_net = sum((Decimal(str(b["net"]["amount"])) for b in mine), Decimal(0))
    if total_net != net:
        raise ValueError(f"payout {pid}: balance transactions add up to {total_net}, the payout's net is {net}")
    fees: dict[str, Decimal] = defaultdict(Decimal)
    for b in mine:
        key = str(b.get("type", "OTHER")) if config.fee_lines == "per_type" else "TOTAL"
        fees[key] += Decimal(str(b["fee"]["amount"]))

    def line(part: str, account_type: str, account: str, amount: Decimal, text: str) -> JournalLine:
        return JournalLine(
            reference=f"P{pid}-{part}",
            account_type=account_type,
            account=account,
            credit=-amount if amount < 0 else Decimal(0),
            debit=amount if amount > 0 else Decimal(0),
            currency=currency,
            date=day,
            text=text,
            offset_account_type="Ledger",
            offset_account=config.clearing_account,
            notes=f"Shopify Payments payout {pid}",
        )

    lines = [line("bank", "Bank", config.bank_account, net, f"Shopify payout {pid}")]
    lines += [
        line(f"fee-{kind.lower()}", "Ledger", config.fee_account, amount, f"Shopify fees {kind.lower()} {pid}")
        for kind, amount in sorted(fees.items())
        if amount
    ]
    return PayoutJournal(pid, net, currency, lines)


def sync_payouts(storage: Storage, d365: D365Client, shopify: ShopifyAdmin, config: Payout) -> dict[str, Any]:
    """Every payout Shopify lists (status PAID or IN_TRANSIT) gets its journal; idempotent per line."""
    summary = {"payouts": 0, "lines": 0, "blocked": 0}
    if not config.enabled:
        return summary
    balance = _pages(shopify, BALANCE_QUERY, "balanceTransactions")
    exceptions = ExceptionStore(storage)
    for payout in _pages(shopify, PAYOUT_QUERY, "payouts"):
        if payout.get("status") not in ("PAID", "IN_TRANSIT"):
            continue
        pid = legacy(payout["id"])
        try:
            journal = build_journal(payout, balance, config)
        except ValueError as error:
            exceptions.open("payout", pid, "payout_mismatch", str(error), {"payout": pid})
            summary["blocked"] += 1
            continue
        summary["payouts"] += 1
        description = f"Shopify payout {pid}"
        for item in journal.lines:
            _, created = write_line(d365, lambda d=description: open_journal(d365, d, config.journal_name), item)
            summary["lines"] += created
        exceptions.resolve("payout", pid, "payout journal written")
    return summary
