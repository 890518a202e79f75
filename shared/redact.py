"""Redaction of personal data and secrets before anything is stored in the audit log or logged.

Personal values are replaced by a short, stable hash (``~h:3f2a9c01``) so two records about the same
customer can still be matched without storing who it is. Secrets are dropped entirely.
"""

from __future__ import annotations

import hashlib
from typing import Any

# Keys whose values are personal data wherever they appear in Shopify/F&O payloads.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "contact_email",
        "phone",
        "first_name",
        "last_name",
        "address1",
        "address2",
        "zip",
        "company",
        "latitude",
        "longitude",
        "browser_ip",
        "customer_locale",
        "note",
        "landing_site",
        "referring_site",
        "client_details",
        "PrimaryContactEmail",
        "PrimaryContactPhone",
        "DeliveryAddressStreet",
        "DeliveryAddressZipCode",
        "DeliveryAddressName",
        "AddressStreet",
        "AddressZipCode",
        "OrganizationName",
        "PersonFirstName",
        "PersonLastName",
        "Email",
        "Phone",
        "order_status_url",
        "note_attributes",
        "properties",
        "credit_card_name",
        "credit_card_number",
        "cardholder_name",
        "streetLines",
        "personName",
        "phoneNumber",
        "emailAddress",
        "contact",
    }
)
# Objects that are entirely about a person: every string in them is personal except these keys.
PERSON_OBJECTS = frozenset(
    {"billing_address", "shipping_address", "default_address", "addresses", "customer", "destination", "origin"}
)
NON_PERSONAL_IN_PERSON = frozenset(
    {
        "id",
        "country",
        "country_code",
        "province_code",
        "country_name",
        "currency",
        "state",
        "tax_exempt",
        "admin_graphql_api_id",
        "created_at",
        "updated_at",
        "verified_email",
        "accepts_marketing",
    }
)
SECRET_MARKERS = ("secret", "token", "password", "authorization", "api_key", "apikey", "hmac", "signature")

REDACTED_SECRET = "[secret]"


def fingerprint(value: Any) -> str:
    return "~h:" + hashlib.sha256(str(value).strip().lower().encode()).hexdigest()[:8]


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def redact(value: Any, _in_person: bool = False) -> Any:
    """A copy of ``value`` with personal data hashed and secrets removed."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            key_s = str(key)
            if _is_secret(key_s):
                out[key_s] = REDACTED_SECRET
            elif key_s in PERSON_OBJECTS:
                out[key_s] = redact(item, True)
            elif key_s in PERSONAL_KEYS or (key_s == "name" and _in_person) or (key_s == "city" and _in_person):
                out[key_s] = None if item is None else fingerprint(item)
            elif _in_person and isinstance(item, str) and key_s not in NON_PERSONAL_IN_PERSON:
                out[key_s] = fingerprint(item)
            else:
                out[key_s] = redact(item, _in_person)
        return out
    if isinstance(value, list):
        if _in_person:  # e.g. street lines or aliases of a person
            return [fingerprint(item) if isinstance(item, str) else redact(item, True) for item in value]
        return [redact(item, _in_person) for item in value]
    return value
