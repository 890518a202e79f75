"""Which F&O customer account an order belongs to: deterministic, never fuzzy.

Order of matching (``policies.customer_match``): the stored link (Shopify customer id -> account,
Table ``customerlinks``, zero F&O requests), then the e-mail (case-insensitive exact), then the
phone (E.164-equal), then create in ``CustomersV3`` with the deterministic account
``D365_CUSTOMER_PREFIX`` + Shopify customer id. Two concurrent first orders of one new customer both
try to create that account; F&O answers the loser "already exists" and it reads the winner's record,
so exactly one customer exists. Several F&O customers sharing an e-mail or phone is
``AMBIGUOUS_CUSTOMER`` (a person decides), unless one of them is the deterministic account.

A stored link whose account F&O no longer has (F&O refuses the order: "not found in the relating
table") is dropped and matching runs once more (:meth:`CustomerResolver.relink`).

Guest checkout (no Shopify customer) follows ``policies.guest``: ``account`` (one configured
account), ``create`` (a customer keyed by a hash of the e-mail) or ``reject`` (``UNKNOWN_CUSTOMER``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.clients.d365 import D365AlreadyExists, D365Client, D365NotFound, odata_literal
from integration.mappings import Mappings, cache_seconds
from integration.orders.contact import country_iso3, normalize_email, normalize_phone
from integration.orders.model import Address, Order
from integration.orders.validation import AMBIGUOUS_CUSTOMER, UNKNOWN_CUSTOMER, Failure
from shared import tables
from shared.storage import Storage, safe_key

LINK_CACHE_MAX = 10_000
_MEMO = "customerlinks"  # key of the cached links in Storage.memo
CONFIRMED = "confirmed"
# Links whose account the integration created (its deterministic account), or a person confirmed:
# the only ones customer sync writes to by default (CUSTOMER_SYNC_WRITE_MATCHED adds e-mail/phone matches).
OWNED = ("created", "existing", CONFIRMED)
_SELECT = ["CustomerAccount", "PrimaryContactEmail", "PrimaryContactPhone"]


@dataclass
class Resolution:
    account: str = ""
    how: str = ""  # link | email | phone | created | existing | guest
    failure: Failure | None = None
    link_key: str = ""  # the customerlinks key the account came from (how == "link")


def email_key(email: str) -> str:
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


class CustomerLinks:
    """Shopify customer (or hashed guest e-mail) -> F&O account. Personal data is never a key.

    Found links are cached per Storage for ``LINK_CACHE_SECONDS`` (30 s, at most ``LINK_CACHE_MAX``
    entries): a repeat customer's order then reads no link. Writes here update the cache; a link
    changed elsewhere is seen within the window, a retry reads fresh, and a cached link to an account
    F&O no longer has is dropped by ``CustomerResolver.relink`` when F&O refuses the order."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _cache(self) -> dict[str, tuple[float, str]]:
        cache: dict[str, tuple[float, str]] = self.storage.memo.setdefault(_MEMO, {})
        return cache

    def get(self, key: str, fresh: bool = False) -> str | None:
        hit = None if fresh else self._cache().get(key)
        if hit is not None and time.monotonic() - hit[0] < cache_seconds("LINK_CACHE_SECONDS"):
            return hit[1]
        try:
            account = str(self.storage.table(tables.CUSTOMER_LINKS).get_entity("shopify", safe_key(key))["Account"])
        except ResourceNotFoundError:
            return None
        self._remember(key, account)
        return account

    def _remember(self, key: str, account: str | None) -> None:
        cache = self._cache()
        if account is None:
            cache.pop(key, None)
            return
        if len(cache) >= LINK_CACHE_MAX:
            cache.clear()  # simpler than LRU; a full cache only costs one read per customer again
        cache[key] = (time.monotonic(), account)

    def how(self, key: str) -> str:
        """How the link was made: ``created``/``existing`` (the integration's own account), ``email``
        or ``phone`` (matched to an account someone else owns), ``confirmed`` (a person confirmed it
        through the ops API), ``guest``; "" when there is no link."""
        try:
            return str(self.storage.table(tables.CUSTOMER_LINKS).get_entity("shopify", safe_key(key)).get("How") or "")
        except ResourceNotFoundError:
            return ""

    def confirm(self, key: str, account: str) -> bool:
        """Mark the link confirmed by a person (customer sync may then write to the account). False
        when the key is not linked to ``account``."""
        if self.get(key, fresh=True) != account:
            return False
        self.put(key, account, CONFIRMED)
        return True

    def put(self, key: str, account: str, how: str) -> None:
        self.storage.table(tables.CUSTOMER_LINKS).upsert_entity(
            {"PartitionKey": "shopify", "RowKey": safe_key(key), "Account": account, "How": how},
            mode=UpdateMode.REPLACE,
        )
        self._remember(key, account)

    def forget(self, key: str) -> None:
        self._remember(key, None)
        try:
            self.storage.table(tables.CUSTOMER_LINKS).delete_entity("shopify", safe_key(key))
        except ResourceNotFoundError:
            pass


class CustomerResolver:
    def __init__(self, client: D365Client, links: CustomerLinks, prefix: str = "SC") -> None:
        self.client = client
        self.links = links
        self.prefix = prefix

    def resolve(self, order: Order, mappings: Mappings, fresh: bool = False) -> Resolution:
        """``fresh``: read the link from the table, not the cache (a retry)."""
        if order.customer is None:
            return self._guest(order, mappings)
        key = f"customer:{order.customer.id}"
        account = self.links.get(key, fresh=fresh)
        if account:
            return Resolution(account, "link", link_key=key)
        deterministic = f"{self.prefix}{order.customer.id}"
        region = _region_of(order)
        email = order.customer.email or order.email
        phone = normalize_phone(order.customer.phone or order.phone, region)
        resolution = self._match(mappings.customer_match, email, phone, deterministic)
        if resolution is None:
            resolution = self._create(order, mappings, deterministic, email, phone)
        if resolution.account:
            self.links.put(key, resolution.account, resolution.how)
        return resolution

    def relink(self, order: Order, mappings: Mappings, resolution: Resolution) -> Resolution | None:
        """After F&O refused an order for a linked account: when that account no longer exists in F&O
        (deleted or merged there), drop the stale link and match again (e-mail, phone, create).
        None when the account exists: the refusal has another cause."""
        if resolution.how != "link" or not resolution.link_key:
            return None
        try:
            self.client.get("CustomersV3", {"CustomerAccount": resolution.account}, select=["CustomerAccount"])
            return None
        except D365NotFound:
            self.links.forget(resolution.link_key)
        return self.resolve(order, mappings, fresh=True)

    # ---- matching ----------------------------------------------------------------------------------
    def _match(self, rules: list[str], email: str, phone: str, deterministic: str) -> Resolution | None:
        for rule in rules:
            if rule == "email" and email:
                rows = self._query(f"PrimaryContactEmail eq {odata_literal(normalize_email(email))}")
                rows = [
                    r for r in rows if normalize_email(str(r.get("PrimaryContactEmail", ""))) == normalize_email(email)
                ]
            elif rule == "phone" and phone:
                # Candidates by the last digits, whatever separators F&O holds between them, then
                # the E.164 comparison in Python decides.
                rows = self._query(f"PrimaryContactPhone eq {odata_literal(phone_pattern(phone))}", top=50)
                rows = [
                    r for r in rows if normalize_phone(str(r.get("PrimaryContactPhone", "")), _region(phone)) == phone
                ]
            else:
                continue
            accounts = sorted({str(r["CustomerAccount"]) for r in rows})
            if len(accounts) == 1:
                return Resolution(accounts[0], rule)
            if deterministic in accounts:
                return Resolution(deterministic, rule)
            if len(accounts) > 1:
                return Resolution(
                    failure=Failure(
                        AMBIGUOUS_CUSTOMER,
                        f"several F&O customers share this {rule}",
                        {"rule": rule, "accounts": accounts},
                    )
                )
        return None

    def _query(self, clause: str, top: int = 10) -> list[dict[str, Any]]:
        return list(
            self.client.get(
                "CustomersV3",
                filter=f"dataAreaId eq {odata_literal(self.client.legal_entity)} and ({clause})",
                select=_SELECT,
                top=top,
                cross_company=True,
            )
        )

    # ---- creation ----------------------------------------------------------------------------------
    def _create(self, order: Order, mappings: Mappings, account: str, email: str, phone: str) -> Resolution:
        customer = order.customer
        address = (customer.default_address if customer else None) or _address(order)
        first = (customer.first_name if customer else "") or (address.first_name if address else "")
        last = (customer.last_name if customer else "") or (address.last_name if address else "")
        body: dict[str, Any] = {
            "CustomerAccount": account,
            "CustomerGroupId": str(mappings.policy("customer_group", "30")),
            "SalesCurrencyCode": order.currency,
        }
        if address and address.company and not (first or last):
            body.update(PartyType="Organization", OrganizationName=address.company)
        else:
            body.update(PartyType="Person", PersonFirstName=first, PersonLastName=last or first or account)
        if email:
            body["PrimaryContactEmail"] = normalize_email(email)
        if phone:
            body["PrimaryContactPhone"] = phone
        if mappings.policy("payment_terms"):
            body["PaymentTerms"] = str(mappings.policy("payment_terms"))
        if address and country_iso3(address.country_code):
            body.update(
                {
                    k: v
                    for k, v in {
                        "AddressDescription": "Shopify",
                        "AddressStreet": "\n".join(p for p in (address.address1, address.address2) if p),
                        "AddressCity": address.city,
                        "AddressState": address.province_code,
                        "AddressZipCode": address.zip,
                        "AddressCountryRegionId": country_iso3(address.country_code),
                    }.items()
                    if v
                }
            )
        try:
            created = self.client.create("CustomersV3", body)
            return Resolution(str(created.get("CustomerAccount") or account), "created")
        except D365AlreadyExists:
            # A concurrent first order (or an earlier attempt whose response was lost) created it.
            return Resolution(account, "existing")

    def _guest(self, order: Order, mappings: Mappings) -> Resolution:
        policy = mappings.guest_policy
        if policy == "account" and mappings.policy("guest_account"):
            return Resolution(str(mappings.policy("guest_account")), "guest")
        if policy == "create" and order.email:
            key = f"email:{email_key(order.email)}"
            account = self.links.get(key)
            if account:
                return Resolution(account, "link", link_key=key)
            deterministic = f"{self.prefix}G{email_key(order.email)[:12].upper()}"
            phone = normalize_phone(order.phone, _region_of(order))
            resolution = self._match(mappings.customer_match, order.email, phone, deterministic) or self._create(
                order, mappings, deterministic, order.email, phone
            )
            if resolution.account:
                self.links.put(key, resolution.account, resolution.how)
            return resolution
        return Resolution(
            failure=Failure(
                UNKNOWN_CUSTOMER,
                f"guest checkout and the guest policy is '{policy}'"
                + (" (no e-mail to create a customer from)" if policy == "create" else ""),
                {"guest_policy": policy},
            )
        )


def _address(order: Order) -> Address | None:
    return order.billing_address or order.shipping_address


def _region_of(order: Order) -> str:
    address = _address(order)
    return address.country_code if address else ""


def _region(e164: str) -> str:
    import phonenumbers

    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


PHONE_TAIL_DIGITS = 7


def phone_pattern(e164: str) -> str:
    """F&O ``eq`` wildcard pattern matching every spelling that ends with the number's last digits:
    ``+12065550199`` -> ``*5*5*5*0*1*9*9``, which F&O (``eq`` with ``*`` is SQL ``LIKE``) matches
    for ``206-555-0199``, ``(206) 555-0199``, ``+1 206 555 0199`` and ``2065550199``. The digits
    are compared, never the spelling; the caller keeps only candidates that are E.164-equal."""
    digits = [c for c in e164 if c.isdigit()][-PHONE_TAIL_DIGITS:]
    return "*" + "*".join(digits)
