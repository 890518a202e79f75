"""The F&O emulator's customer payment journals refuse what F&O refuses (reference/d365.md §2.7)."""

from __future__ import annotations

import httpx

HEADERS, LINES = "/data/CustomerPaymentJournalHeaders", "/data/CustomerPaymentJournalLines"


def journal(client: httpx.Client) -> str:
    response = client.post(HEADERS, json={"JournalName": "CustPay", "Description": "test"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["IsPosted"] == "No" and body["JournalBatchNumber"].startswith("CPJ-")
    return str(body["JournalBatchNumber"])


def line(batch: str, **extra: object) -> dict[str, object]:
    return {
        "JournalBatchNumber": batch,
        "AccountType": "Cust",
        "AccountDisplayValue": "US-001",
        "CurrencyCode": "USD",
        "CreditAmount": 10,
        **extra,
    }


def test_journal_rules(client: httpx.Client) -> None:
    assert client.post(HEADERS, json={"Description": "no name"}).status_code == 400
    batch = journal(client)
    assert client.post(LINES, json=line(batch, DebitAmount=5)).status_code == 400  # debit and credit
    assert client.post(LINES, json=line(batch, CreditAmount=0)).status_code == 400  # neither
    assert client.post(LINES, json=line(batch, AccountDisplayValue="NOPE")).status_code == 400
    assert client.post(LINES, json=line(batch, MarkedInvoice="CIV-999999")).status_code == 400
    assert client.post(LINES, json=line("CPJ-999999")).status_code == 400
    assert client.post(LINES, json=line(batch, Unknown=1)).status_code == 400
    created = client.post(LINES, json=line(batch))
    assert created.status_code == 201 and created.json()["LineNumber"] == 1
    # A line without offset account is its own unbalanced voucher: F&O refuses to post the journal.
    assert client.post(f"/_emulator/payment-journals/{batch}/post").status_code == 409
    key = f"(dataAreaId='usmf',JournalBatchNumber='{batch}',LineNumber=1)"
    offset = {"OffsetAccountType": "Ledger", "OffsetAccountDisplayValue": "110150"}
    assert client.patch(f"{LINES}{key}", json=offset).status_code == 204
    assert client.post(LINES, json=line(batch, LineNumber=1)).status_code == 400  # the key exists
    assert (
        client.patch(f"{HEADERS}(dataAreaId='usmf',JournalBatchNumber='{batch}')", json={"IsPosted": "Yes"}).status_code
        == 400
    )
    assert client.post(f"/_emulator/payment-journals/{batch}/post").status_code == 200
    assert client.post(f"/_emulator/payment-journals/{batch}/post").status_code == 409
    assert client.post(LINES, json=line(batch)).status_code == 400  # posted journals take no lines
    assert client.delete(f"{LINES}{key}").status_code == 400
