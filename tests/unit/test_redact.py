import json

from shared.redact import fingerprint, redact
from tests.conftest import sample

ORDER = "shopify/shopify_python_api__fixtures__order.json"


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def test_order_sample_has_no_personal_data_after_redaction() -> None:
    order = sample(ORDER)["order"]
    personal = set()
    for obj_key in ("billing_address", "shipping_address"):
        obj = order.get(obj_key) or {}
        personal |= {obj.get(k) for k in ("first_name", "last_name", "address1", "phone", "zip", "name") if obj.get(k)}
    customer = order.get("customer") or {}
    personal |= {customer.get(k) for k in ("email", "first_name", "last_name", "phone") if customer.get(k)}
    if order.get("email"):
        personal.add(order["email"])
    personal.discard(None)
    assert personal, "the sample should carry personal data for this test to mean anything"
    text = json.dumps(redact(order))
    for value in personal:
        assert str(value) not in text
    # business data survives
    assert str(order["id"]) in text
    assert order["line_items"][0]["sku"] in list(_strings(redact(order)))


def test_secrets_are_removed_and_hashes_are_stable() -> None:
    data = {
        "client_secret": "abc",
        "Authorization": "Bearer x",
        "nested": {"access_token": "t"},
        "email": "A@Example.com",
    }
    out = redact(data)
    assert out["client_secret"] == out["Authorization"] == out["nested"]["access_token"] == "[secret]"
    assert out["email"] == fingerprint("a@example.com")


def test_lists_in_person_objects_and_status_urls_are_redacted() -> None:
    data = {
        "customer": {"id": 1, "aliases": ["Ada L"]},
        "shipping_address": {"country_code": "US", "lines": ["1 Market St"]},
        "order_status_url": "https://shop.example/1/orders/abc/authenticate?key=secret-key",
        "note_attributes": [{"name": "gift", "value": "for Ada"}],
        "credit_card_name": "Ada Lovelace",
    }
    text = str(redact(data))
    for value in ("Ada L", "1 Market St", "secret-key", "for Ada", "Ada Lovelace"):
        assert value not in text
    assert redact(data)["shipping_address"]["country_code"] == "US"


def test_camel_case_fo_city_and_labelled_values_are_redacted(monkeypatch) -> None:
    from shared.settings import reset_settings_cache

    monkeypatch.setenv("REDACTION_KEY", "k1")
    reset_settings_cache()
    data = {
        "customer": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "id": "gid://1"},
        "defaultEmailAddress": {"emailAddress": "ada@example.com"},
        "shippingAddress": {"address1": "12 Analytical St", "city": "London", "countryCode": "GB"},
        "AddressCity": "Boston",
        "DeliveryAddressCity": "Cambridge",
        "customAttributes": [{"key": "gift", "value": "for Ada"}],
        "fields": [{"name": "Email", "value": "ada@example.com"}, {"name": "sku", "value": "ABC-1"}],
        "fo_message": "Customer ada@example.com (+1 617-555-0100) already exists for order 820982911946154508",
    }
    out = redact(data)
    text = json.dumps(out)
    for personal in ("Ada", "Lovelace", "ada@example.com", "Analytical", "London", "Boston", "Cambridge", "617"):
        assert personal not in text, personal
    assert out["shippingAddress"]["countryCode"] == "GB" and out["customer"]["id"] == "gid://1"
    assert out["fields"][1]["value"] == "ABC-1"
    assert "820982911946154508" in out["fo_message"]  # ids survive the phone pattern


def test_fingerprints_are_keyed_and_absent_without_a_key(monkeypatch) -> None:
    import hashlib

    from shared.settings import reset_settings_cache

    monkeypatch.setenv("REDACTION_KEY", "k1")
    reset_settings_cache()
    first = fingerprint("a@example.com")
    assert first == fingerprint(" A@Example.com ") and first.startswith("~h:") and len(first) == 19
    assert hashlib.sha256(b"a@example.com").hexdigest()[:16] not in first  # not an unkeyed hash
    monkeypatch.setenv("REDACTION_KEY", "k2")
    reset_settings_cache()
    assert fingerprint("a@example.com") != first
    monkeypatch.setenv("REDACTION_KEY", "")
    reset_settings_cache()
    assert fingerprint("a@example.com") == "[redacted]"
    reset_settings_cache()
