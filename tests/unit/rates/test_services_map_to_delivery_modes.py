"""Every service the default checkout rates can offer maps to a delivery mode by default.

A carrier-calculated rate chosen at checkout becomes the order's shipping line with ``code`` = the
rate's ``service_code`` and ``title`` = its ``service_name``; order sync maps either to F&O's
``DeliveryModeCode`` (``config/mappings.json``). A service the checkout offers but the mappings do
not know blocks every such order as ``UNMAPPED_SHIPPING_METHOD``.
"""

from __future__ import annotations

import pytest

from integration.mappings import load_mappings
from integration.rates.config import load_rates_config
from sandbox.emulators.d365.seed import DELIVERY_MODES

CONFIG = load_rates_config()
OFFERED = [(code, rule.display_name) for code, rule in CONFIG.services.items()] + [
    (fallback.service_code, fallback.display_name) for fallback in CONFIG.fallback
]


def test_the_default_rates_offer_fedex_and_fallback_services() -> None:
    codes = {code for code, _ in OFFERED}
    assert {"STANDARD_OVERNIGHT", "FEDEX_EXPRESS_SAVER", "FEDEX_INTERNATIONAL_PRIORITY"} <= codes
    assert any(code.startswith("FALLBACK_") for code in codes)


@pytest.mark.parametrize(("code", "title"), OFFERED)
def test_every_offered_service_maps_by_code_and_by_title(code: str, title: str) -> None:
    mappings = load_mappings()
    by_code = mappings.delivery_mode(code, "")
    by_title = mappings.delivery_mode("", title)
    assert by_code, f"service code {code} has no default delivery mode in config/mappings.json"
    assert by_title, f"service name {title!r} has no default delivery mode in config/mappings.json"
    assert by_code == by_title, f"{code} and {title!r} map to different delivery modes"
    # The demo F&O company has the mode, so an order with this service posts in the sandbox.
    assert by_code in DELIVERY_MODES
