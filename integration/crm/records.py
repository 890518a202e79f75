"""What the CRM flow remembers in Table Storage (no personal data: ids, how a link was made, amounts).

* ``crmlinks``: Shopify customer (or company) -> Dataverse contact (or account) id, how the link was
  made and whether the integration owns the row. It writes only to rows it owns: rows it created
  (they carry the Shopify id in the alternate-key column) and links a person confirmed.
* ``crmorders``: per Shopify order, the salesorder id and the refunds already counted (refund id ->
  amount), so a redelivered refund is not added twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared import tables
from shared.storage import Storage, safe_key


@dataclass
class Link:
    row_id: str  # contactid / accountid
    how: str  # created | key | email | phone | confirmed | adopted
    owned: bool
    fingerprint: str = ""  # hash of the contact fields last written (owned rows), salted: no personal data
    updated_at: str = ""  # Shopify's updated_at of the values last written ("" if unknown)


class CrmLinks:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def get(self, kind: str, shopify_id: str) -> Link | None:
        try:
            row = self.storage.table(tables.CRM_LINKS).get_entity(kind, safe_key(shopify_id))
        except ResourceNotFoundError:
            return None
        return Link(
            str(row["RowId"]),
            str(row.get("How", "")),
            bool(row.get("Owned", False)),
            str(row.get("Fingerprint", "")),
            str(row.get("SourceUpdatedAt", "")),
        )

    def put(self, kind: str, shopify_id: str, link: Link) -> None:
        self.storage.table(tables.CRM_LINKS).upsert_entity(
            {
                "PartitionKey": kind,
                "RowKey": safe_key(shopify_id),
                "RowId": link.row_id,
                "How": link.how,
                "Owned": link.owned,
                "Fingerprint": link.fingerprint,
                "SourceUpdatedAt": link.updated_at,
            },
            mode=UpdateMode.REPLACE,
        )

    def forget(self, kind: str, shopify_id: str) -> None:
        try:
            self.storage.table(tables.CRM_LINKS).delete_entity(kind, safe_key(shopify_id))
        except ResourceNotFoundError:
            pass


class CrmOrders:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def get(self, order_id: str) -> dict[str, Any]:
        try:
            return dict(self.storage.table(tables.CRM_ORDERS).get_entity(safe_key(order_id), "order"))
        except ResourceNotFoundError:
            return {}

    def save(self, order_id: str, **values: Any) -> None:
        self.storage.table(tables.CRM_ORDERS).upsert_entity(
            {"PartitionKey": safe_key(order_id), "RowKey": "order", **values}, mode=UpdateMode.MERGE
        )

    def add_refund(
        self, order_id: str, refund_id: str, amount: Decimal, credit_note: str, currency: str = ""
    ) -> list[dict[str, str]]:
        """Record one refund (one row per refund: idempotent, and two refunds of one order never
        overwrite each other); returns every refund recorded for the order."""
        self.storage.table(tables.CRM_ORDERS).upsert_entity(
            {
                "PartitionKey": safe_key(order_id),
                "RowKey": f"refund-{safe_key(refund_id)}",
                "Amount": str(amount),
                "Currency": currency,
                "CreditNote": credit_note,
            },
            mode=UpdateMode.REPLACE,
        )
        rows = self.storage.table(tables.CRM_ORDERS).query_entities(
            "PartitionKey eq @pk and RowKey ge 'refund-' and RowKey lt 'refund.'", parameters={"pk": safe_key(order_id)}
        )
        return [{"amount": str(r["Amount"]), "credit_note": str(r.get("CreditNote", ""))} for r in rows]

    def refunds_of(self, order_id: str) -> list[dict[str, str]]:
        rows = self.storage.table(tables.CRM_ORDERS).query_entities(
            "PartitionKey eq @pk and RowKey ge 'refund-' and RowKey lt 'refund.'", parameters={"pk": safe_key(order_id)}
        )
        return [
            {"refund_id": str(r["RowKey"])[7:], "amount": str(r["Amount"]), "credit_note": str(r.get("CreditNote", ""))}
            for r in rows
        ]

    def refund(self, order_id: str, refund_id: str) -> dict[str, Any] | None:
        try:
            row = self.storage.table(tables.CRM_ORDERS).get_entity(safe_key(order_id), f"refund-{safe_key(refund_id)}")
        except ResourceNotFoundError:
            return None
        return {
            "amount": Decimal(str(row["Amount"])),
            "currency": str(row.get("Currency", "")),
            "credit_note": str(row.get("CreditNote", "")),
        }


def forget_customer(storage: Storage, customer: dict[str, Any]) -> int:
    """``customers/redact``: drop the CRM flow's links of the customer (and of their guest e-mail).
    The Dataverse contact itself is the merchant's CRM record and is not deleted here."""
    import hashlib

    links, dropped = CrmLinks(storage), 0
    keys = [str(customer["id"])] if customer.get("id") else []
    if customer.get("email"):
        keys.append("g-" + hashlib.sha256(str(customer["email"]).strip().lower().encode()).hexdigest()[:24])
    for key in keys:
        if links.get("contact", key) is not None:
            dropped += 1
            links.forget("contact", key)
    return dropped
