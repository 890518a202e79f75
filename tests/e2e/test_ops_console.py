"""The ops console in headless Chromium (Debian's chromium, driven by Playwright) against the local host."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from integration.cases import ExceptionStore
from sandbox.host.process import HostProcess
from shared.storage import Storage


def test_console_shows_a_seeded_exception_and_retries_it(
    product_host: HostProcess, storage: Storage, browser: Browser
) -> None:
    order_id = str(uuid.uuid4().int)[:11]
    ExceptionStore(storage).open(
        "order", order_id, "UNKNOWN_SKU", 'SKU "ABC-1" is not a released product in F&O', {"sku": "ABC-1"}
    )
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{product_host.url}/api/ops/console")
    expect(page.get_by_text("Enter the function key to load.")).to_be_visible()
    page.fill("#key", "wrong-key")
    page.click("#save-key")
    expect(page.locator("#message")).not_to_be_empty()
    page.fill("#key", "local-function-key")
    page.click("#save-key")
    row = page.locator(f'#exceptions tr[data-id="order/{order_id}"]')
    expect(row).to_contain_text("UNKNOWN_SKU")
    expect(row).to_contain_text('SKU "ABC-1" is not a released product in F&O')
    expect(page.locator('.card[data-label="Open exceptions"] b')).not_to_have_text("0")
    row.get_by_role("button", name="Retry").click()
    expect(row.get_by_role("button")).to_have_text("Queued")
    product_host.wait_for(lambda t: f"resource_id={order_id}" in t, what="resync consumed by the order queue")
    page.screenshot(path=str(product_host.log_file.parent / "console.png") if product_host.log_file else None)
    assert errors == []


def test_console_saves_a_mapping_override(product_host: HostProcess, storage: Storage, browser: Browser) -> None:
    from integration.mappings import load_mappings

    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    page = browser.new_page()
    page.goto(f"{product_host.url}/api/ops/console")
    page.fill("#key", "local-function-key")
    page.click("#save-key")
    page.select_option("#map-section", "skus")
    page.fill("#map-key", sku)
    page.fill("#map-value", "D0042")
    page.click("#mapping-form button")
    expect(page.locator("#map-result")).to_contain_text(f"{sku} → D0042")
    assert load_mappings(storage).item_number(sku, None) == "D0042"


def test_console_timeline(product_host: HostProcess, storage: Storage, browser: Browser) -> None:
    from shared.audit import AuditLog

    order_id = str(uuid.uuid4().int)[:11]
    AuditLog(storage).record("order", order_id, "validated", "ok")
    AuditLog(storage).record("order", order_id, "create", "created", target="SH4242")
    page = browser.new_page()
    page.goto(f"{product_host.url}/api/ops/console")
    page.fill("#key", "local-function-key")
    page.click("#save-key")
    page.fill("#tl-id", order_id)
    page.click("#timeline-form button")
    expect(page.locator("#timeline tbody tr")).to_have_count(2)
    expect(page.locator("#timeline")).to_contain_text("SH4242")


def test_console_assets_and_unknown_file(product_host: HostProcess) -> None:
    import httpx

    page = httpx.get(f"{product_host.url}/api/ops/console")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert httpx.get(f"{product_host.url}/api/ops/console/console.js").status_code == 200
    assert httpx.get(f"{product_host.url}/api/ops/console/secret.txt").status_code == 404
