"""Normalizing contact data for deterministic matching and for F&O: phone numbers to E.164,
Shopify's ISO 3166 alpha-2 country codes to F&O's 3-letter country/region ids, e-mail case."""

from __future__ import annotations

import phonenumbers
import pycountry


def normalize_phone(raw: str, default_region: str = "") -> str:
    """E.164 (``+15556251199``) or ``""`` when the text is not a possible number.

    ``default_region`` (ISO-2, from the address) resolves national formats such as ``555-625-1199``.
    Only possible numbers are accepted, so two customers never match on a malformed fragment.
    """
    text = (raw or "").strip()
    if not text:
        return ""
    region = (default_region or "").upper() or None
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_possible_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_iso3(iso2: str) -> str:
    """``US`` -> ``USA``; ``""`` when the code is not an ISO 3166-1 alpha-2 code."""
    code = (iso2 or "").strip().upper()
    if len(code) != 2:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    return country.alpha_3 if country is not None else ""


def normalize_email(raw: str) -> str:
    return (raw or "").strip().lower()
