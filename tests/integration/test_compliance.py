"""customers/redact and shop/redact delete what the integration stored about the customer/shop."""

from __future__ import annotations

import uuid

from integration import compliance
from integration.webhooks.envelope import PAYLOAD_CONTAINER, Envelope, blob_name
from shared.storage import Storage
from tests.conftest import sample


def test_customer_redact_deletes_order_and_customer_keyed_data(storage: Storage) -> None:
    payload = sample("shopify/shopify_dev__compliance_customers_redact.json")
    customer_id = str(payload["customer"]["id"])
    order_id = str(payload["orders_to_redact"][0])
    container = storage.container(PAYLOAD_CONTAINER)
    order_blob = blob_name("orders/create", order_id, str(uuid.uuid4()))
    customer_blob = blob_name("customers/update", customer_id, str(uuid.uuid4()))
    other_blob = blob_name("orders/create", "999", str(uuid.uuid4()))
    for name in (order_blob, customer_blob, other_blob):
        container.upload_blob(name, b'{"email": "someone@example.com"}', overwrite=True)
    envelope = Envelope(topic="customers/redact", webhook_id=str(uuid.uuid4()), resource_id=customer_id)
    outcome = compliance.handle(storage, envelope, payload)
    assert outcome["status"] == "redacted" and outcome["blobs_deleted"] >= 2
    names = {b.name for b in container.list_blobs()}
    assert order_blob not in names and customer_blob not in names and other_blob in names


def test_customer_redact_clears_exception_and_audit_text_about_the_customer(
    storage: Storage, app_env: dict[str, str], monkeypatch
) -> None:
    from integration.cases import ExceptionStore
    from integration.forget import REDACTED_TEXT
    from shared.audit import AuditLog
    from shared.settings import reset_settings_cache

    monkeypatch.setenv("REDACTION_KEY", "test-redaction-key")
    reset_settings_cache()
    payload = sample("shopify/shopify_dev__compliance_customers_redact.json")
    order_id = str(payload["orders_to_redact"][0])
    email = payload["customer"]["email"]
    exceptions, audit = ExceptionStore(storage), AuditLog(storage)
    # About the order; mentioning the customer's e-mail elsewhere (its fingerprint is what is stored); unrelated.
    exceptions.open("order", order_id, "FO_REJECTED", "F&O refused the order", {"fo_message": "x"})
    exceptions.open("customer", "77001", "FO_REJECTED", f"contact {email} refused", {"email": email})
    exceptions.open("order", "77002", "UNMAPPED_SKU", "no item for SKU ABC", {"sku": "ABC"})
    audit.record("order", order_id, "create", "failed", details={"note": "kept out"})
    audit.record("customer", "77001", "contact", "failed", details={"email": email})
    audit.record("order", "77002", "create", "created", details={"sku": "ABC"})

    envelope = Envelope(topic="customers/redact", webhook_id=str(uuid.uuid4()), resource_id="1")
    outcome = compliance.handle(storage, envelope, payload)

    assert outcome["exceptions_redacted"] >= 2 and outcome["audit_rows_redacted"] >= 2
    for entity, entity_id in (("order", order_id), ("customer", "77001")):
        record = exceptions.get(entity, entity_id)
        assert record and record.message == REDACTED_TEXT and record.values == {}
        assert all(e.details is None for e in audit.timeline(entity, entity_id))
        assert [e.step for e in audit.timeline(entity, entity_id)]  # the trail itself stays
    untouched = exceptions.get("order", "77002")
    assert untouched and untouched.message == "no item for SKU ABC"
    assert audit.timeline("order", "77002")[-1].details == {"sku": "ABC"}
