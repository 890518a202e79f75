"""Which Dataverse contact a Shopify customer is: deterministic, never fuzzy.

Order: the stored link (Table ``crmlinks``) -> the alternate key ``<prefix>shopifycustomerid`` (a row
that carries the Shopify id was created by this integration or tagged by a person: either way the
link is confirmed) -> ``emailaddress1`` (case-insensitive exact) -> phone (``telephone1`` /
``mobilephone``, compared as E.164) -> create (an upsert on the alternate key, so a retry after a lost
response updates the row the first attempt made instead of making a second).

A contact found by e-mail or phone was not created by the integration, so it is not owned: the order
goes under it, but nothing is written to it. ``DATAVERSE_CONFLICT_MODE`` decides the rest:

* ``review`` (default): one match -> link (not owned); several -> ``CRM_AMBIGUOUS_CONTACT`` exception.
* ``create``: one match -> link (not owned); several -> a new contact owned by the integration.
* ``update``: one match -> adopted: the operator confirmed e-mail/phone matches by configuration, so the
  integration writes the Shopify id into the key column and keeps the contact up to date; several ->
  ``CRM_AMBIGUOUS_CONTACT``.

A person confirms a link with :meth:`ContactResolver.confirm` (after which the contact is owned).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from integration.clients.dataverse import DataverseClient, odata_literal
from integration.crm.config import CrmConfig
from integration.crm.mapping import Person, contact_body
from integration.crm.records import CrmLinks, Link
from integration.orders.contact import normalize_email, normalize_phone

AMBIGUOUS_CONTACT = "CRM_AMBIGUOUS_CONTACT"
CONTACT = "contact"
_SELECT = ["contactid", "emailaddress1", "telephone1", "mobilephone"]


@dataclass
class Resolution:
    contact_id: str = ""
    how: str = ""  # link | key | email | phone | created | adopted
    owned: bool = False
    ambiguous: list[str] = field(default_factory=list)  # candidate contact ids when ambiguous


class ContactResolver:
    def __init__(self, client: DataverseClient, links: CrmLinks, config: CrmConfig) -> None:
        self.client, self.links, self.config = client, links, config

    def resolve(self, person: Person, write: bool = True) -> Resolution:
        """The contact for ``person``; with ``write``, an owned contact is created or refreshed from
        Shopify (upsert by alternate key)."""
        key = {self.config.contact_key: person.customer_id}
        link = self.links.get(CONTACT, person.customer_id)
        if link is not None:
            if link.owned and write and link.fingerprint != self._fingerprint(person) and not _older(person, link):
                # Only when Shopify's values changed, and never with an older snapshot of them (an order
                # placed before the customer's last change, processed after it): an unchanged customer
                # costs no Dataverse request.
                self._upsert(person)
                self.links.put(
                    CONTACT,
                    person.customer_id,
                    Link(link.row_id, link.how, True, self._fingerprint(person), person.updated_at or link.updated_at),
                )
            return Resolution(link.row_id, "link", link.owned)
        found = self.client.get("contacts", key, select=["contactid"])
        if found is not None:
            if write:
                self._upsert(person)
            return self._linked(person, str(found["contactid"]), "key", owned=True, written=write)
        for rule in ("email", "phone"):
            candidates = self._candidates(rule, person)
            if len(candidates) == 1:
                if self.config.conflict_mode == "update":
                    self.client.upsert("contacts", candidates[0], {self.config.contact_key: person.customer_id})
                    if write:
                        self._upsert(person)
                    return self._linked(person, candidates[0], "adopted", owned=True, written=write)
                return self._linked(person, candidates[0], rule, owned=False)
            if len(candidates) > 1:
                if self.config.conflict_mode != "create":
                    return Resolution(how=rule, ambiguous=sorted(candidates))
                break
        contact_id = self._upsert(person) or self._id_by_key(person)
        return self._linked(person, contact_id, "created", owned=True, written=True)

    def confirm(self, customer_id: str, contact_id: str) -> None:
        """A person confirmed that ``contact_id`` is this Shopify customer: tag it with the Shopify id
        (update only: the contact must exist) and own it from now on."""
        self.client.upsert("contacts", contact_id, {self.config.contact_key: customer_id}, update_only=True)
        self.links.put(CONTACT, customer_id, Link(contact_id, "confirmed", True))

    # ---- helpers ---------------------------------------------------------------------------------
    def _linked(self, person: Person, contact_id: str, how: str, owned: bool, written: bool = False) -> Resolution:
        fingerprint = self._fingerprint(person) if written else ""
        updated_at = person.updated_at if written else ""
        self.links.put(CONTACT, person.customer_id, Link(contact_id, how, owned, fingerprint, updated_at))
        return Resolution(contact_id, how, owned)

    def _fingerprint(self, person: Person) -> str:
        body = json.dumps(contact_body(person, self.config), sort_keys=True)
        return hashlib.sha256(f"{person.customer_id}|{body}".encode()).hexdigest()[:24]

    def _upsert(self, person: Person) -> str:
        return self.client.upsert(
            "contacts", {self.config.contact_key: person.customer_id}, contact_body(person, self.config)
        )

    def _id_by_key(self, person: Person) -> str:
        row = self.client.get("contacts", {self.config.contact_key: person.customer_id}, select=["contactid"])
        if row is None:  # the upsert just succeeded: only a concurrent delete gets here
            raise LookupError("the contact written a moment ago is gone")
        return str(row["contactid"])

    def _candidates(self, rule: str, person: Person) -> list[str]:
        if rule == "email" and person.email:
            rows = self._query(f"emailaddress1 eq {odata_literal(person.email)}")
            return sorted(
                {
                    str(r["contactid"])
                    for r in rows
                    if normalize_email(str(r.get("emailaddress1") or "")) == person.email
                }
            )
        if rule == "phone" and person.phone:
            spellings = _spellings(person.phone)
            clause = " or ".join(
                f"{col} eq {odata_literal(s)}" for col in ("telephone1", "mobilephone") for s in spellings
            )
            region = phonenumbers.region_code_for_number(phonenumbers.parse(person.phone)) or ""
            return sorted(
                {
                    str(r["contactid"])
                    for r in self._query(f"({clause})")
                    if person.phone
                    in (
                        normalize_phone(str(r.get("telephone1") or ""), region),
                        normalize_phone(str(r.get("mobilephone") or ""), region),
                    )
                }
            )
        return []

    def _query(self, clause: str) -> list[dict[str, Any]]:
        # private: the filter holds the e-mail or phone number, kept out of URLs (logs, telemetry).
        return self.client.query("contacts", f"{clause} and statecode eq 0", select=_SELECT, top=10, private=True)


def _older(person: Person, link: Link) -> bool:
    """The person's values are an older snapshot than the ones last written (both times known)."""
    return bool(person.updated_at and link.updated_at and person.updated_at < link.updated_at)


def _spellings(e164: str) -> list[str]:
    """How CRM users commonly type one number; matches are re-checked E.164-equal."""
    number = phonenumbers.parse(e164)
    fmt = phonenumbers.PhoneNumberFormat
    international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
    return sorted(
        {e164, international, international.replace("-", " "), phonenumbers.format_number(number, fmt.NATIONAL)}
    )
