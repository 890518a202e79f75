"""Customer sync: keep the linked F&O customer's contact fields in step with Shopify.

``customers/update``: when the Shopify customer is linked to an F&O account the integration may write
(Table ``customerlinks``, written by order sync's customer matching: an account it created, or a
link a person confirmed through the ops API; e-mail and phone matches are recorded as ``matched``
and never written unless ``CUSTOMER_SYNC_WRITE_MATCHED`` is true), the ``CustomersV3`` contact fields
Shopify changed -- e-mail, phone (E.164), person name, primary address (ISO-3 country) -- are
PATCHed onto that account, and only those: a field an F&O user edited that Shopify did not change
is left alone. "Changed" is judged against per-field fingerprints of what Shopify last sent (Table
``customersync``, no personal data stored); without a fingerprint every mapped field that differs
from F&O is written. Older updates (``updated_at``) are ignored. An unlinked customer is only
recorded.

``customers/create``: recorded only (its fingerprints become the baseline). By design a customer
reaches F&O with their first order (order sync matches or creates the account then), so customers
who never order never clutter F&O.

F&O requests: none when nothing Shopify-side changed, else one GET (party type and current values)
and at most one PATCH. A rejected PATCH becomes a ``customer`` exception (``FO_REJECTED``) and the
fingerprints stay put, so the next update tries again; an account deleted in F&O drops the link
(order sync matches afresh on the next order).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client, D365NotFound, D365PreconditionFailed, D365ValidationError
from integration.customers.model import (
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    NAME_FIELDS,
    ShopifyCustomer,
    contact_fields,
    field_hashes,
    parse_customer,
)
from integration.orders.customer_match import OWNED, CustomerLinks, email_key
from shared import queues, tables
from shared.audit import AuditLog
from shared.hooks import Hooks
from shared.lease import holding
from shared.logs import get_logger, log_event
from shared.storage import Storage, safe_key

ENTITY = "customer"
ROW = "customer"
FO_REJECTED = "FO_REJECTED"
log = get_logger(__name__)


@dataclass
class Outcome:
    action: str  # recorded | updated | unchanged | unlinked | ignored | rejected | matched
    account: str = ""
    fields: tuple[str, ...] = ()
    detail: str = ""


class CustomerRecords:
    """Per Shopify customer: the account it synced to, the Shopify ``updated_at`` applied and per-field
    fingerprints of what Shopify sent."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def get(self, customer_id: int) -> dict[str, Any] | None:
        try:
            return dict(self.storage.table(tables.CUSTOMER_SYNC).get_entity(safe_key(str(customer_id)), ROW))
        except ResourceNotFoundError:
            return None

    def save(self, customer_id: int, **values: Any) -> None:
        self.storage.table(tables.CUSTOMER_SYNC).upsert_entity(
            {"PartitionKey": safe_key(str(customer_id)), "RowKey": ROW, **values}, mode=UpdateMode.MERGE
        )

    def delete(self, customer_id: int | str) -> None:
        try:
            self.storage.table(tables.CUSTOMER_SYNC).delete_entity(safe_key(str(customer_id)), ROW)
        except ResourceNotFoundError:
            pass


class CustomerSync:
    def __init__(self, storage: Storage, d365: D365Client, write_matched: bool = False, prefix: str = "SC") -> None:
        self.storage, self.d365 = storage, d365
        self.write_matched, self.prefix = write_matched, prefix
        self.hooks = Hooks()
        self.links = CustomerLinks(storage)
        self.records = CustomerRecords(storage)
        self.exceptions = ExceptionStore(storage)
        self.audit = AuditLog(storage)

    def handle(self, topic: str, payload: dict[str, Any]) -> Outcome:
        if topic not in queues.CUSTOMER_TOPICS:
            return Outcome("ignored", detail=f"topic {topic} is not a customer sync topic")
        customer = parse_customer(payload)
        # One writer per Shopify customer: an older update cannot write F&O after a newer one.
        with holding(self.storage, "customer", customer.id):
            self.hooks.reached("customer.leased", str(customer.id))
            return self._handle_held(topic, customer)

    def _handle_held(self, topic: str, customer: ShopifyCustomer) -> Outcome:
        record = self.records.get(customer.id) or {}
        updated_at = customer.updated_at.isoformat() if customer.updated_at else ""
        if updated_at and record.get("UpdatedAt") and updated_at < str(record["UpdatedAt"]):
            return self._done(
                customer, Outcome("ignored", detail=f"stale: updated_at {updated_at} < {record['UpdatedAt']}")
            )
        wanted = contact_fields(customer)
        hashes = field_hashes(wanted, customer.id)
        account = self.links.get(f"customer:{customer.id}") or ""
        if topic == "customers/create" or not account:
            self.records.save(
                customer.id,
                UpdatedAt=updated_at,
                Fields=json.dumps(hashes),
                Account=account,
                Status="recorded" if account or topic == "customers/create" else "unlinked",
            )
            why = (
                "created in F&O with the customer's first order"
                if topic == "customers/create"
                else "not linked to an F&O customer yet (no order synced)"
            )
            return self._done(
                customer, Outcome("recorded" if topic == "customers/create" else "unlinked", account, detail=why)
            )
        how = self.links.how(f"customer:{customer.id}")
        if not self._may_write(customer, account, how):
            # Matched by e-mail or phone to an account someone else owns: recorded, never written.
            self.records.save(customer.id, UpdatedAt=updated_at, Account=account, Status="matched")
            return self._done(
                customer,
                Outcome(
                    "matched",
                    account,
                    detail=f"linked by {how or 'match'}: F&O account {account} is not the integration's; "
                    "confirm the link in the ops API (or set CUSTOMER_SYNC_WRITE_MATCHED) to sync it",
                ),
            )
        baseline = json.loads(record.get("Fields") or "null") if record.get("Account") == account else None
        candidates = [k for k in wanted if baseline is None or baseline.get(k) != hashes[k]]
        if not candidates:
            self.records.save(customer.id, UpdatedAt=updated_at, Status="synced")
            return self._done(customer, Outcome("unchanged", account, detail="no contact field changed in Shopify"))
        try:
            return self._write(customer, account, wanted, candidates, hashes, updated_at)
        except D365PreconditionFailed:  # F&O changed the account between our read and write
            return self._write(customer, account, wanted, candidates, hashes, updated_at)

    def _write(
        self,
        customer: ShopifyCustomer,
        account: str,
        wanted: dict[str, str],
        candidates: list[str],
        hashes: dict[str, str],
        updated_at: str,
    ) -> Outcome:
        """Read the account (with its ETag), write only what differs, ``If-Match`` that ETag."""
        try:
            current = self.d365.get(
                "CustomersV3", {"CustomerAccount": account}, select=["CustomerAccount", "PartyType", *CONTACT_FIELDS]
            )
        except D365NotFound:
            self.links.forget(f"customer:{customer.id}")
            self.records.save(customer.id, Account="", Status="unlinked", UpdatedAt=updated_at)
            return self._done(
                customer, Outcome("unlinked", account, detail=f"F&O account {account} no longer exists; link dropped")
            )
        changes = _changes(wanted, candidates, current)
        if changes:
            try:
                self.hooks.reached("customer.read", str(customer.id))
                etag = str(current.get("@odata.etag") or "") or None
                self.d365.update("CustomersV3", {"CustomerAccount": account}, changes, etag=etag)
            except D365ValidationError as error:
                self.exceptions.open(
                    ENTITY,
                    str(customer.id),
                    FO_REJECTED,
                    f"F&O refused the contact update of customer {account}: {error.message}",
                    {"account": account, "fields": sorted(changes), "fo_message": error.message},
                )
                self.records.save(customer.id, Status="blocked")
                return self._done(customer, Outcome("rejected", account, tuple(sorted(changes)), FO_REJECTED))
        self.records.save(
            customer.id, UpdatedAt=updated_at, Fields=json.dumps(hashes), Account=account, Status="synced"
        )
        self.exceptions.resolve(ENTITY, str(customer.id), f"contact fields synced to F&O customer {account}")
        return self._done(customer, Outcome("updated" if changes else "unchanged", account, tuple(sorted(changes))))

    def _may_write(self, customer: ShopifyCustomer, account: str, how: str) -> bool:
        return how in OWNED or account == f"{self.prefix}{customer.id}" or self.write_matched

    def _done(self, customer: ShopifyCustomer, outcome: Outcome) -> Outcome:
        # Field names only: the values are personal data.
        self.audit.record(
            ENTITY,
            str(customer.id),
            "contact",
            outcome.action,
            target=outcome.account,
            details={"fields": list(outcome.fields), "detail": outcome.detail},
        )
        log_event(
            log,
            "customer.handled",
            customer_id=str(customer.id),
            action=outcome.action,
            account=outcome.account,
            fields=",".join(outcome.fields),
        )
        return outcome


def _changes(wanted: dict[str, str], candidates: list[str], current: dict[str, Any]) -> dict[str, str]:
    person = str(current.get("PartyType", "Person")) == "Person"
    changes = {
        k: wanted[k] for k in candidates if (person or k not in NAME_FIELDS) and str(current.get(k, "")) != wanted[k]
    }
    if any(k in changes for k in ADDRESS_FIELDS):  # an address is written whole, never half old, half new
        changes.update({k: wanted[k] for k in ADDRESS_FIELDS if k in wanted})
    return changes


def forget_customer(storage: Storage, customer: dict[str, Any]) -> int:
    """``customers/redact``: drop what links the Shopify customer (and their guest e-mail) to F&O and
    the sync record. Returns how many links were dropped."""
    links, dropped = CustomerLinks(storage), 0
    keys = [f"customer:{customer['id']}"] if customer.get("id") else []
    if customer.get("email"):
        keys.append(f"email:{email_key(str(customer['email']))}")
    for key in keys:
        if links.get(key):
            dropped += 1
        links.forget(key)
    if customer.get("id"):
        CustomerRecords(storage).delete(customer["id"])
    return dropped
