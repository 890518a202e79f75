"""Pure mapping: Shopify order transactions -> F&O customer payment journal lines (or a reason why not).

* ``SALE`` / ``CAPTURE`` with status ``SUCCESS``: a receipt, ``CreditAmount`` on the customer account;
* ``REFUND`` with status ``SUCCESS``: money paid back, ``DebitAmount`` on the customer account;
* ``AUTHORIZATION``, ``VOID``, ``CHANGE``, ``SUGGESTED_REFUND`` and any status but ``SUCCESS`` move no
  money: ignored (an authorization is only a hold; its captures are what is paid);
* a capture below its authorization (a partial capture) is a receipt for the captured amount only; the
  rest of the invoice stays open in F&O (``partial`` on the line, visible in the reports);
* a gateway the configuration does not know, or one whose treatment is ``exception`` (gift cards,
  store credit by default), blocks that transaction with a reason instead of guessing an account;
* a currency other than the F&O order's is refused (no silent conversion).

A receipt marks the order's invoice (``MarkedInvoice``) when F&O has exactly one invoice for the order; a
refund marks the credit note F&O posted for it (the refund flow's return order, once invoiced). Several
invoices (partial invoicing) or a refund without a posted credit note leave the line open, with the Shopify
transaction id as ``PaymentReference`` and the order name in ``PaymentNotes`` so AR can settle it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from integration.payments.config import PaymentsConfig

MONEY_KINDS = {"SALE": "receipt", "CAPTURE": "receipt", "REFUND": "refund"}


class PaymentDataError(ValueError):
    """A transaction the mapping cannot read (a permanent problem with the data)."""


@dataclass
class Transaction:
    id: str  # numeric part of the GID
    kind: str
    status: str
    gateway: str
    amount: Decimal
    currency: str
    processed_at: str
    parent_id: str = ""
    parent_amount: Decimal | None = None

    @property
    def day(self) -> str:
        return self.processed_at[:10]


@dataclass
class PaymentLine:
    transaction: Transaction
    role: str  # receipt | refund
    method: str
    offset_account_type: str
    offset_account: str
    marked_invoice: str = ""
    partial: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def settle_ready(self) -> bool:
        return bool(self.marked_invoice)


@dataclass
class Blocked:
    transaction: Transaction
    reason_code: str
    message: str


def legacy(gid: str) -> str:
    return str(gid).rsplit("/", 1)[-1]


def parse_transactions(nodes: list[dict[str, Any]]) -> list[Transaction]:
    by_id: dict[str, dict[str, Any]] = {legacy(n["id"]): n for n in nodes}
    out = []
    for node in nodes:
        money = ((node.get("amountSet") or {}).get("shopMoney")) or {}
        try:
            amount = Decimal(str(money.get("amount")))
        except (InvalidOperation, ValueError):
            raise PaymentDataError(f"transaction {node.get('id')} has no readable amount") from None
        processed = str(node.get("processedAt") or node.get("createdAt") or "")
        try:
            datetime.fromisoformat(processed.replace("Z", "+00:00"))
        except ValueError:
            raise PaymentDataError(f"transaction {node.get('id')} has no processedAt") from None
        parent_id = (
            legacy((node.get("parentTransaction") or {}).get("id") or "") if node.get("parentTransaction") else ""
        )
        parent = by_id.get(parent_id)
        parent_amount = None
        if parent is not None:
            parent_amount = Decimal(str(((parent.get("amountSet") or {}).get("shopMoney") or {}).get("amount")))
        out.append(
            Transaction(
                id=legacy(node["id"]),
                kind=str(node.get("kind", "")).upper(),
                status=str(node.get("status", "")).upper(),
                gateway=str(node.get("gateway") or "").lower(),
                amount=amount,
                currency=str(money.get("currencyCode") or ""),
                processed_at=processed,
                parent_id=parent_id,
                parent_amount=parent_amount,
            )
        )
    return out


def map_transactions(
    transactions: list[Transaction],
    config: PaymentsConfig,
    order_currency: str,
    invoices: list[str],
    credit_notes: dict[str, tuple[str, str]] | None = None,
) -> tuple[list[PaymentLine], list[Blocked]]:
    """``credit_notes``: refund transaction id -> (F&O return order, its posted credit note invoice)."""
    credit_notes = credit_notes or {}
    lines: list[PaymentLine] = []
    blocked: list[Blocked] = []
    for tx in transactions:
        role = MONEY_KINDS.get(tx.kind)
        if role is None or tx.status != "SUCCESS" or tx.amount <= 0:
            continue
        gateway = config.gateway(tx.gateway)
        if gateway is None:
            blocked.append(Blocked(tx, "payment_gateway_unmapped", f"gateway {tx.gateway!r} has no method of payment"))
            continue
        if gateway.treatment == "exception":
            code = "payment_gift_card" if "gift" in tx.gateway else "payment_store_credit"
            if "gift" not in tx.gateway and "credit" not in tx.gateway:
                code = "payment_gateway_blocked"
            blocked.append(Blocked(tx, code, gateway.reason or f"gateway {tx.gateway!r} is configured as an exception"))
            continue
        if order_currency and tx.currency.upper() != order_currency.upper():
            blocked.append(
                Blocked(tx, "payment_currency_mismatch", f"paid in {tx.currency}, F&O order is in {order_currency}")
            )
            continue
        line = PaymentLine(tx, role, gateway.method, gateway.offset_account_type, gateway.offset_account)
        if role == "receipt":
            if tx.kind == "CAPTURE" and tx.parent_amount is not None and tx.amount < tx.parent_amount:
                line.partial = True
                line.notes.append(f"partial capture {tx.amount} of {tx.parent_amount}")
            if len(invoices) == 1:
                line.marked_invoice = invoices[0]
            elif invoices:
                line.notes.append(f"{len(invoices)} invoices: settle by hand")
        else:
            number, credit_invoice = credit_notes.get(tx.id, ("", ""))
            if credit_invoice:
                line.marked_invoice = credit_invoice
                line.notes.append(f"refund: credit note {credit_invoice} (return order {number})")
            elif number:
                line.notes.append(f"refund: return order {number} not invoiced yet; marked when its credit note posts")
            else:
                line.notes.append("refund: no credit note known for it; settle by hand")
        lines.append(line)
    return lines, blocked
