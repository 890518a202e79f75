"""Customer payment journals in the F&O emulator: ``CustomerPaymentJournalHeaders`` and
``CustomerPaymentJournalLines`` with invoice marking, and an operator action that posts a journal.

Provenance: entity sets, keys, field names and Edm types are read from the vendored real-metadata
catalog ``sandbox/samples/d365/catalog/entity_catalog.json`` (SAP Cloud SDK client generated from a
real F&O ``$metadata``, April 2025, cross-checked with Ballerina's finance OpenAPI); the enums
``LedgerJournalAcType`` / ``SettlementType`` / ``NoYes`` from ``enums.json`` next to it.

Rules (docs/reference/d365.md §2.7; the ones marked there [analysis] are our reading, not documented):

* the header's ``JournalBatchNumber`` comes from a number sequence when the client leaves it out;
  ``JournalName`` is required; ``IsPosted`` is read-only (a client cannot post through OData);
* a line needs a header that is not posted, ``AccountType``/``AccountDisplayValue`` (a ``Cust`` account
  must exist), a ``CurrencyCode`` and exactly one of ``CreditAmount`` / ``DebitAmount`` above zero;
* ``MarkedInvoice`` must be an invoice of that customer (``SalesInvoiceHeadersV2``); marking it is what
  lets posting settle the payment against the invoice;
* lines of a posted journal cannot be changed or deleted.

Posting is an operator action here (``POST /_emulator/payment-journals/{batch}/post``), standing for the
user or batch job that posts journals in F&O.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.entities import EntitySet
from sandbox.emulators.d365.payment_catalog import HEADER_TABLE, LINE_TABLE
from sandbox.emulators.d365.store import SEQUENCE_FORMATS, Row
from sandbox.emulators.d365.wire import must_be_filled, not_in_related, write_failed

SEQUENCE_FORMATS.setdefault("JournalBatchNumber", "CPJ-{:06d}")


def _header(env: Env, company: str, batch: str) -> Row | None:
    return env.store.get(HEADER_TABLE, (company, batch)) if batch else None


def _posted(row: Row | None) -> bool:
    return row is not None and row.get("IsPosted") == "Yes"


def create_header(env: Env, es: EntitySet, row: Row) -> Row:
    company = row["dataAreaId"]
    env.require(es, HEADER_TABLE, row, "JournalName")
    if row.get("IsPosted") == "Yes":
        raise write_failed(es.aot_entity, "A journal cannot be created as posted.", table=HEADER_TABLE)
    row["IsPosted"] = "No"
    if not row.get("JournalBatchNumber"):
        row["JournalBatchNumber"] = env.store.next_number(
            company, "JournalBatchNumber", lambda n: _header(env, company, n) is not None
        )
    return row


def update_header(env: Env, es: EntitySet, row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    if "IsPosted" in changes and changes["IsPosted"] != row.get("IsPosted"):
        raise write_failed(es.aot_entity, "The field 'Posted' cannot be changed.", table=HEADER_TABLE)
    if _posted(row):
        raise write_failed(es.aot_entity, f"Journal {row['JournalBatchNumber']} is posted.", table=HEADER_TABLE)
    return changes


def delete_header(env: Env, es: EntitySet, row: Row) -> None:
    if _posted(row):
        raise write_failed(es.aot_entity, f"Journal {row['JournalBatchNumber']} is posted.", table=HEADER_TABLE)
    for line in list(
        env.store.scan(LINE_TABLE, dataAreaId=row["dataAreaId"], JournalBatchNumber=row["JournalBatchNumber"])
    ):
        env.store.delete(LINE_TABLE, line)


def _check_line(env: Env, es: EntitySet, row: Row) -> None:
    company = row["dataAreaId"]
    env.require(es, LINE_TABLE, row, "JournalBatchNumber", "AccountDisplayValue", "CurrencyCode")
    credit, debit = Decimal(row.get("CreditAmount") or 0), Decimal(row.get("DebitAmount") or 0)
    if credit < 0 or debit < 0 or (credit > 0) == (debit > 0):
        raise write_failed(es.aot_entity, "Enter either a debit or a credit amount, not both.", table=LINE_TABLE)
    if row.get("AccountType", "Cust") == "Cust":
        account = str(row["AccountDisplayValue"])
        env.check_fk(
            es, LINE_TABLE, row, "AccountDisplayValue", env.customer(company, account) is not None, "CustTable"
        )
        marked = str(row.get("MarkedInvoice") or "")
        if marked:
            invoice = env.store.find("CustInvoiceJour", dataAreaId=company, InvoiceNumber=marked)
            if invoice is None or str(invoice.get("InvoiceCustomerAccountNumber", "")).casefold() != account.casefold():
                raise not_in_related(es.aot_entity, LINE_TABLE, marked, "Marked invoice", "CustTransOpen")


def create_line(env: Env, es: EntitySet, row: Row) -> Row:
    company = row["dataAreaId"]
    header = _header(env, company, str(row.get("JournalBatchNumber") or ""))
    if header is None:
        if not row.get("JournalBatchNumber"):
            raise must_be_filled(es.aot_entity, LINE_TABLE, "Journal batch number")
        raise not_in_related(
            es.aot_entity, LINE_TABLE, str(row["JournalBatchNumber"]), "Journal batch number", HEADER_TABLE
        )
    if _posted(header):
        raise write_failed(es.aot_entity, f"Journal {header['JournalBatchNumber']} is posted.", table=LINE_TABLE)
    row.setdefault("AccountType", "Cust")
    _check_line(env, es, row)
    if not row.get("LineNumber"):
        existing = env.store.scan(LINE_TABLE, dataAreaId=company, JournalBatchNumber=header["JournalBatchNumber"])
        row["LineNumber"] = max((Decimal(r.get("LineNumber") or 0) for r in existing), default=Decimal(0)) + 1
    row["JournalBatchNumber"] = header["JournalBatchNumber"]
    if row.get("MarkedInvoice"):
        row.setdefault("MarkedInvoiceCompany", company)
    return row


def update_line(env: Env, es: EntitySet, row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    if _posted(_header(env, row["dataAreaId"], str(row.get("JournalBatchNumber", "")))):
        raise write_failed(es.aot_entity, f"Journal {row['JournalBatchNumber']} is posted.", table=LINE_TABLE)
    _check_line(env, es, {**row, **changes})
    return changes


def delete_line(env: Env, es: EntitySet, row: Row) -> None:
    if _posted(_header(env, row["dataAreaId"], str(row.get("JournalBatchNumber", "")))):
        raise write_failed(es.aot_entity, f"Journal {row['JournalBatchNumber']} is posted.", table=LINE_TABLE)


class PostingError(ValueError):
    pass


def post_journal(env: Env, company: str, batch: str) -> Row:
    """What a user posting the journal does: the journal becomes posted (lines with a marked invoice
    settle it). Refuses an empty or already posted journal."""
    header = _header(env, company, batch)
    if header is None:
        raise PostingError(f"journal {batch} does not exist")
    if _posted(header):
        raise PostingError(f"journal {batch} is already posted")
    lines = list(env.store.scan(LINE_TABLE, dataAreaId=company, JournalBatchNumber=header["JournalBatchNumber"]))
    if not lines:
        raise PostingError(f"journal {batch} has no lines")
    for line in lines:  # each line is its own voucher: without an offset account it cannot balance
        if not line.get("OffsetAccountDisplayValue"):
            raise PostingError(
                f"The transactions on voucher line {line.get('LineNumber')} of journal {batch} do not balance."
            )
    env.store.update(HEADER_TABLE, header, {"IsPosted": "Yes"})
    return header
