"""The console's CRM page in headless Chromium against the local host: the CRM flow's exceptions
(crm-order, crm-contact) with their retry through the ops API (a resync on queue ``crm`` that the
host's CRM trigger consumes), the timeline of a CRM document, and the reconciliation buttons."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from integration.cases import ExceptionStore
from sandbox.host.process import HostProcess
from shared.audit import AuditLog
from shared.storage import Storage


def test_crm_page_lists_crm_exceptions_retries_and_shows_the_timeline(
    product_host: HostProcess, storage: Storage, browser: Browser
) -> None:
    order_id, customer_id = str(uuid.uuid4().int)[:11], str(uuid.uuid4().int)[:10]
    exceptions = ExceptionStore(storage)
    exceptions.open(
        "crm-order", order_id, "CRM_TOTAL_MISMATCH", "CRM total 10.00 differs from Shopify's 11.00 by -1.00"
    )
    exceptions.open("crm-contact", customer_id, "CRM_AMBIGUOUS_CONTACT", "several CRM contacts share this email")
    exceptions.open("order", order_id, "UNKNOWN_SKU", "an F&O exception: not on the CRM page")
    AuditLog(storage).record("crm-order", order_id, "crm", "blocked", details={"detail": "CRM_TOTAL_MISMATCH"})
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{product_host.url}/api/ops/console")
    page.get_by_role("link", name="CRM").click()
    expect(page.get_by_text("Enter the function key to load.")).to_be_visible()
    page.fill("#key", "local-function-key")
    page.click("#save-key")
    expect(page.locator('.card[data-label="Flow"] b')).to_have_text("off (DATAVERSE_URL not set)")
    order_row = page.locator(f'#crm-exceptions tr[data-entity="crm-order"][data-id="{order_id}"]')
    expect(order_row).to_contain_text("CRM_TOTAL_MISMATCH")
    contact_row = page.locator(f'#crm-exceptions tr[data-entity="crm-contact"][data-id="{customer_id}"]')
    expect(contact_row).to_contain_text("CRM_AMBIGUOUS_CONTACT")
    assert page.locator(f'#crm-exceptions tr[data-entity="order"][data-id="{order_id}"]').count() == 0
    expect(page.locator('.card[data-label="CRM_AMBIGUOUS_CONTACT"] b')).not_to_have_text("0")
    order_row.get_by_role("button", name="Retry").click()
    expect(order_row).to_contain_text("retry: queued on crm")
    contact_row.get_by_role("button", name="Retry").click()
    expect(contact_row).to_contain_text("retry: queued on crm")
    # The host's CRM trigger consumes both resyncs (the flow is off here, so it logs and drops them).
    consumed = f"resource_id={order_id}"
    product_host.wait_for(
        lambda t: any("crm.off" in line and consumed in line for line in t.splitlines()), what="crm resync consumed"
    )
    page.select_option("#crm-tl-entity", "crm-order")
    page.fill("#crm-tl-id", order_id)
    page.click("#crm-timeline-form button")
    expect(page.locator("#crm-timeline tbody")).to_contain_text("blocked")
    page.click("#recon-dry")
    expect(page.locator("#message")).to_contain_text("the CRM flow is off")
    assert errors == []
