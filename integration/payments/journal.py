"""F&O writes for payment journals: one header per batch key, one line per Shopify transaction.

Idempotency is F&O's own state: before creating a line the journal lines are searched by
``PaymentReference`` (the Shopify transaction id, or ``P<payout>-<part>`` for payout lines), so a retry
after a lost response finds the line instead of writing a second one. Headers are found by their
``Description`` (the batch key) among the journals that are not posted; a posted journal is never
written to again (F&O refuses it), a new one is opened for the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from integration.clients.d365 import D365AlreadyExists, D365Client, D365Error, D365Transient, odata_literal

HEADER_SET, LINE_SET = "CustomerPaymentJournalHeaders", "CustomerPaymentJournalLines"
MAX_NUMBER_ATTEMPTS = 5


@dataclass
class JournalLine:
    reference: str  # PaymentReference: the idempotency key
    account_type: str  # Cust | Ledger | Bank
    account: str
    credit: Decimal
    debit: Decimal
    currency: str
    date: str  # YYYY-MM-DD
    text: str
    method: str = ""
    offset_account_type: str = ""
    offset_account: str = ""
    marked_invoice: str = ""
    notes: str = ""

    def body(self, batch: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "JournalBatchNumber": batch,
            "AccountType": self.account_type,
            "AccountDisplayValue": self.account,
            "CreditAmount": self.credit,
            "DebitAmount": self.debit,
            "CurrencyCode": self.currency,
            "TransactionDate": f"{self.date}T12:00:00Z",
            "TransactionText": self.text[:60],
            "PaymentReference": self.reference,
            "PaymentNotes": self.notes[:1000],
        }
        if self.method:
            body["PaymentMethodName"] = self.method
        if self.offset_account:
            body["OffsetAccountType"] = self.offset_account_type or "Ledger"
            body["OffsetAccountDisplayValue"] = self.offset_account
        if self.marked_invoice:
            body["MarkedInvoice"] = self.marked_invoice
            body["SettleVoucher"] = "SelectedTransact"
        return body


def find_line(d365: D365Client, reference: str) -> dict[str, Any] | None:
    return d365.find(LINE_SET, f"PaymentReference eq {odata_literal(reference)}")


def _unposted(d365: D365Client, description: str) -> list[str]:
    rows = d365.query(HEADER_SET, filter=f"Description eq {odata_literal(description)}")
    return sorted(str(r["JournalBatchNumber"]) for r in rows if r.get("IsPosted") != "Yes")


def open_journal(d365: D365Client, description: str, journal_name: str) -> str:
    """The batch number of the unposted journal for ``description``, created when there is none.

    The header's number comes from F&O's number sequence, so a create whose answer was lost (the client
    retries it) or two runs opening the same journal at once can leave several: every caller settles on the
    lowest number and removes the others while they are still empty."""
    found = _unposted(d365, description)
    if not found:
        try:
            d365.create(HEADER_SET, {"JournalName": journal_name, "Description": description})
        except D365Transient:
            pass  # the create may have been applied: the read below decides
        found = _unposted(d365, description)
        if not found:
            raise D365Transient(0, f"journal {description!r} could not be opened", HEADER_SET)
    for extra in found[1:]:
        if d365.find(LINE_SET, f"JournalBatchNumber eq {odata_literal(extra)}") is None:
            try:
                d365.delete(HEADER_SET, {"JournalBatchNumber": extra})
            except D365Error:
                pass  # another run removed it first, or F&O refuses: it stays empty and unused
    return found[0]


def is_posted(d365: D365Client, batch: str) -> bool:
    header = d365.find(HEADER_SET, f"JournalBatchNumber eq {odata_literal(batch)}", select=["IsPosted"])
    return header is not None and header.get("IsPosted") == "Yes"


def post(d365: D365Client, batch: str, service: str) -> str | None:
    """Post journal ``batch`` through the tenant's posting service: None when it was posted already, ""
    when F&O has it posted afterwards, else F&O's reason. The outcome is read back from ``IsPosted``, so
    a lost answer or two runs posting one journal do no harm (F&O refuses to post a posted journal)."""
    if is_posted(d365, batch):
        return None
    reason = ""
    try:
        d365.call_service(service, {"journalBatchNumber": batch, "dataAreaId": d365.legal_entity})
    except D365Error as error:
        reason = (error.message or type(error).__name__)[:500]
    return "" if is_posted(d365, batch) else (reason or "F&O answered but the journal is not posted")


def next_line_number(d365: D365Client, batch: str) -> int:
    rows = d365.query(LINE_SET, filter=f"JournalBatchNumber eq {odata_literal(batch)}", select=["LineNumber"])
    return int(max((Decimal(str(r.get("LineNumber") or 0)) for r in rows), default=Decimal(0))) + 1


def _mark_later(d365: D365Client, existing: dict[str, Any], line: JournalLine) -> dict[str, Any]:
    """A line written before its invoice (a refund's credit note) could be marked gets the marking now,
    while its journal is not posted (F&O refuses changes to posted journals)."""
    if not line.marked_invoice or existing.get("MarkedInvoice"):
        return existing
    batch = str(existing["JournalBatchNumber"])
    if is_posted(d365, batch):
        return existing
    changes = {"MarkedInvoice": line.marked_invoice, "SettleVoucher": "SelectedTransact"}
    d365.update(LINE_SET, {"JournalBatchNumber": batch, "LineNumber": existing["LineNumber"]}, changes)
    return existing | changes


def write_line(d365: D365Client, batch_of: Any, line: JournalLine) -> tuple[dict[str, Any], bool]:
    """(the F&O line, created now?). ``batch_of()`` opens the journal only when a line is needed.

    The line number is chosen here, not by F&O: the client retries a POST whose connection dropped, and
    with the key in the body a retry of a write F&O applied is refused as a duplicate (then the line is
    found by its reference) instead of becoming a second line."""
    existing = find_line(d365, line.reference)
    if existing is not None:
        return _mark_later(d365, existing, line), False
    batch = batch_of()
    for _ in range(MAX_NUMBER_ATTEMPTS):
        body = line.body(batch) | {"LineNumber": next_line_number(d365, batch)}
        try:
            return d365.create(LINE_SET, body), True
        except D365AlreadyExists:
            existing = find_line(d365, line.reference)
            if existing is not None:
                return existing, False  # our own earlier attempt, applied but unanswered
    raise D365Transient(409, f"no free line number in journal {batch}", LINE_SET)
