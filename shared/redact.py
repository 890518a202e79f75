"""Redaction of personal data and secrets before anything is stored in the audit log or logged.

Personal values are replaced by a keyed fingerprint (``~h:`` + HMAC-SHA256 under ``REDACTION_KEY``,
16 hex characters) so two records about the same customer can still be matched without storing who it
is, and nobody without the key can confirm a guess (an unkeyed hash of an e-mail address can be
reversed by hashing candidate addresses). Without the key, personal values become ``[redacted]``.
Secrets are dropped entirely. Free text (exception messages, F&O's error text) has e-mail addresses
and phone numbers replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import re
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
        # Shopify GraphQL (camelCase)
        "firstName",
        "lastName",
        "displayName",
        "customAttributes",
        "clientIp",
        "browserIp",
        "statusPageUrl",
        "defaultEmailAddress",
        "defaultPhoneNumber",
        # F&O
        "AddressCity",
        "DeliveryAddressCity",
        "AddressDescription",
        "DeliveryAddressDescription",
        "PrimaryContactEmailDescription",
        "PrimaryContactPhoneDescription",
        "NameAlias",
        "PersonMiddleName",
        "PersonPersonalTitle",
        "CustomerName",
        "DeliveryName",
    }
)
# Free-text fields: kept, with e-mail addresses and phone numbers replaced.
FREE_TEXT_KEYS = frozenset({"fo_message", "message", "Message", "error_message", "reason_text"})
# Objects that are entirely about a person: every string in them is personal except these keys.
PERSON_OBJECTS = frozenset(
    {
        "billing_address",
        "shipping_address",
        "default_address",
        "addresses",
        "customer",
        "destination",
        "origin",
        "billingAddress",
        "shippingAddress",
        "defaultAddress",
    }
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
        "countryCode",
        "countryCodeV2",
        "provinceCode",
        "createdAt",
        "updatedAt",
        "verifiedEmail",
        "taxExempt",
        "legacyResourceId",
        "__typename",
    }
)
_PERSONAL_LOWER = frozenset(k.lower() for k in PERSONAL_KEYS) | {"city", "name", "first name", "last name"}
# A {"name"|"key"|"field": <what>, "value": <it>} pair (note attributes, metafields, F&O field errors).
_LABEL_KEYS = ("name", "key", "field", "type")
SECRET_MARKERS = ("secret", "token", "password", "authorization", "api_key", "apikey", "hmac", "signature")

REDACTED_SECRET = "[secret]"


REDACTED = "[redacted]"
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A phone number: a leading + or a separator inside (a bare run of digits is an order or document id).
PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d ().-]{6,}\d|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?!\w)")


def _key() -> bytes:
    """REDACTION_KEY from the settings; empty when it is missing (then nothing is fingerprinted)."""
    from shared.settings import SettingsError, get_settings

    try:
        return get_settings().REDACTION_KEY.get_secret_value().encode()
    except SettingsError:
        return b""


def fingerprint(value: Any) -> str:
    key = _key()
    if not key:
        return REDACTED
    normalized = str(value).strip().lower().encode()
    return "~h:" + hmac.new(key, normalized, hashlib.sha256).hexdigest()[:16]


def keyed_digest(text: str, length: int = 32) -> str:
    """HMAC-SHA256 of ``text`` under ``REDACTION_KEY`` (hex, ``length`` characters); "" without a key.
    For matching personal values across records without storing them (e.g. the quote audit's cart key)."""
    key = _key()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:length] if key else ""


def redact_text(text: str, known: tuple[str, ...] = ()) -> str:
    """Free text with e-mail addresses, phone numbers and the ``known`` personal values replaced."""
    for value in sorted({v for v in known if isinstance(v, str) and len(v.strip()) >= 3}, key=len, reverse=True):
        text = re.sub(re.escape(value.strip()), lambda m: fingerprint(m.group(0)), text, flags=re.IGNORECASE)
    text = EMAIL.sub(lambda m: fingerprint(m.group(0)), text)
    return PHONE.sub(lambda m: fingerprint(m.group(0)), text)


def personal_values(value: Any, _in_person: bool = False) -> list[str]:
    """The personal strings in ``value`` (what :func:`redact` would replace), for masking free text."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            key_s = str(key)
            if key_s in PERSONAL_KEYS or (key_s in ("name", "city") and _in_person):
                found += [item] if isinstance(item, str) else personal_values(item, True)
            elif key_s in PERSON_OBJECTS:
                found += personal_values(item, True)
            elif _in_person and isinstance(item, str) and key_s not in NON_PERSONAL_IN_PERSON:
                found.append(item)
            else:
                found += personal_values(item, _in_person)
    elif isinstance(value, list):
        for item in value:
            found += [item] if _in_person and isinstance(item, str) else personal_values(item, _in_person)
    return found


def _is_secret(key: str) -> bool:
    lowered = key.lower()
    return any(marker in lowered for marker in SECRET_MARKERS)


def _labels_personal(pair: dict[Any, Any]) -> bool:
    for label in _LABEL_KEYS:
        name = pair.get(label)
        if isinstance(name, str) and name.strip().lower() in _PERSONAL_LOWER:
            return True
    return False


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
            elif key_s == "value" and _labels_personal(value):
                out[key_s] = None if item is None else fingerprint(item)
            elif isinstance(item, str) and (key_s in FREE_TEXT_KEYS or key_s == "value"):
                out[key_s] = redact_text(item)
            else:
                out[key_s] = redact(item, _in_person)
        return out
    if isinstance(value, list):
        if _in_person:  # e.g. street lines or aliases of a person
            return [fingerprint(item) if isinstance(item, str) else redact(item, True) for item in value]
        return [redact(item, _in_person) for item in value]
    return value
