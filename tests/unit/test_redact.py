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
