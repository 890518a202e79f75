"""The Shopify customer (REST Customer resource, the ``customers/create|update`` body) and the F&O
contact fields it maps to. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from integration.orders.contact import country_iso3, normalize_email, normalize_phone
from integration.orders.model import Address, parse_address


class CustomerPayloadError(ValueError):
    """A body that is not a Shopify customer (no id): a bug upstream, never retried."""


@dataclass(frozen=True)
class ShopifyCustomer:
    id: int
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    updated_at: datetime | None = None
    default_address: Address | None = None


def parse_customer(body: dict[str, Any]) -> ShopifyCustomer:
    if "customer" in body and isinstance(body["customer"], dict) and "id" not in body:
        body = body["customer"]
    try:
        customer_id = int(body.get("id") or 0)
    except (TypeError, ValueError):
        customer_id = 0
    if not customer_id:
        raise CustomerPayloadError("customer body has no id")
    updated = body.get("updated_at")
    try:
        updated_at = datetime.fromisoformat(updated.replace("Z", "+00:00")) if isinstance(updated, str) else None
    except ValueError:
        updated_at = None
    default = body.get("default_address")
    if not isinstance(default, dict):  # older bodies: the default is flagged in addresses[]
        default = next((a for a in body.get("addresses") or [] if isinstance(a, dict) and a.get("default")), None)
    return ShopifyCustomer(
        id=customer_id,
        email=str(body.get("email") or "").strip(),
        phone=str(body.get("phone") or "").strip(),
        first_name=str(body.get("first_name") or "").strip(),
        last_name=str(body.get("last_name") or "").strip(),
        updated_at=updated_at,
        default_address=parse_address(default),
    )


NAME_FIELDS = ("PersonFirstName", "PersonLastName")
ADDRESS_FIELDS = ("AddressStreet", "AddressCity", "AddressState", "AddressZipCode", "AddressCountryRegionId")
CONTACT_FIELDS = ("PrimaryContactEmail", "PrimaryContactPhone", *NAME_FIELDS, *ADDRESS_FIELDS)


def contact_fields(customer: ShopifyCustomer) -> dict[str, str]:
    """The ``CustomersV3`` values Shopify has for this customer. A value Shopify does not have (or that
    does not normalize: a phone that is not a possible number, a country without an ISO-3 code) is
    left out, so it never blanks what F&O holds. The address goes as a whole or not at all."""
    address = customer.default_address
    region = address.country_code if address else ""
    fields = {
        "PrimaryContactEmail": normalize_email(customer.email),
        "PrimaryContactPhone": normalize_phone(customer.phone or (address.phone if address else ""), region),
        "PersonFirstName": customer.first_name,
        "PersonLastName": customer.last_name,
    }
    if address and country_iso3(address.country_code):
        fields.update(
            {
                "AddressStreet": "\n".join(p for p in (address.address1, address.address2) if p),
                "AddressCity": address.city,
                "AddressState": address.province_code,
                "AddressZipCode": address.zip,
                "AddressCountryRegionId": country_iso3(address.country_code),
            }
        )
    return {k: v for k, v in fields.items() if v}


def field_hashes(fields: dict[str, str], customer_id: int) -> dict[str, str]:
    """Per-field fingerprints of what Shopify sent (salted with the customer id): the record can tell
    which fields Shopify changed without storing personal data."""
    return {k: hashlib.sha256(f"{customer_id}|{k}|{v}".encode()).hexdigest()[:24] for k, v in fields.items()}
