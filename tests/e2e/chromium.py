"""Headless Chromium for the console tests: Debian's chromium (scripts/setup installs it), driven by
Playwright. One module-scoped browser per test module (the ``browser`` fixture in tests/e2e/conftest.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    raise RuntimeError("Debian's chromium is required for the console tests: run scripts/setup (it installs it)")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launched() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
