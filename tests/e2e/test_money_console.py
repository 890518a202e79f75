"""The console's Money page in headless Chromium against the local host: payments by status and freight
drift as SVG charts, the top drift orders, and the CSV exports of both reports."""

from __future__ import annotations

import uuid

from playwright.sync_api import Browser, expect

from integration.freight.audit import FreightLine, save
from integration.payments import records as rec
from sandbox.host.process import HostProcess
from shared.storage import Storage


def test_money_page_draws_payments_and_freight_and_exports_csv(
    product_host: HostProcess, storage: Storage, browser: Browser
) -> None:
    tag = uuid.uuid4().hex[:8]
    payments = rec.PaymentRecords(storage)
    payments.save("2026-11-24", f"{tag}1", Status=rec.SETTLED, Amount="120.00", OrderName=f"#{tag}", Gateway="paypal")
    payments.save("2026-11-25", f"{tag}2", Status=rec.SETTLE_READY, Amount="80.50", OrderName=f"#{tag}")
    payments.save("2026-11-25", f"{tag}3", Status=rec.BLOCKED, Amount="20.00", Reason="payment_gift_card")
    big = FreightLine(f"{tag}9", f"#{tag}-big", day="2026-11-25", service="GROUND", quoted="11.00", charged="10.00")
    big.fo_invoiced, big.actual, big.drift, big.flagged = "10.00", "36.95", "25.95", True
    save(storage, big)
    small = FreightLine(f"{tag}8", f"#{tag}-ok", day="2026-11-24", service="2DAY", quoted="20.00", charged="20.00")
    small.actual, small.drift = "19.50", "-0.50"
    save(storage, small)
    page = browser.new_page(accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{product_host.url}/api/ops/console")
    page.get_by_role("link", name="Money").click()
    expect(page.get_by_text("Enter the function key to load.")).to_be_visible()
    page.fill("#key", "local-function-key")
    page.click("#save-key")
    expect(page.locator("#payments-svg rect[data-part=settled]").first).to_be_visible()
    assert page.locator("#payments-svg rect[data-part=blocked]").count() >= 1
    expect(page.locator("#drift-day-svg rect").first).to_be_visible()
    expect(page.locator("#drift-service-svg text", has_text="GROUND")).to_be_visible()
    top = page.locator(f'#top-drift tr[data-order="{tag}9"]')
    expect(top).to_contain_text("36.95")
    expect(top).to_contain_text("25.95")
    with page.expect_download() as payments_csv:
        page.click("#payments-csv")
    text = open(payments_csv.value.path(), encoding="utf-8").read()
    assert text.startswith("day,transaction,order,gateway") and f"{tag}3" in text and "payment_gift_card" in text
    with page.expect_download() as freight_csv:
        page.click("#freight-csv")
    text = open(freight_csv.value.path(), encoding="utf-8").read()
    assert f"{tag}9,#{tag}-big" in text and "36.95,25.95,true" in text
    assert errors == []
