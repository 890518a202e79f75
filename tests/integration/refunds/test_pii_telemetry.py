"""No personal data reaches telemetry: an order (with its customer matched in F&O by e-mail and phone,
which puts them in OData ``$filter`` query strings) and a refund run with httpx instrumented by
OpenTelemetry into an in-memory exporter, plus httpx's own log lines. A processor registered before the
redaction sees the raw spans, so the test also proves the personal data was there to leak."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.refunds.config import RefundConfig
from integration.refunds.service import RefundService
from sandbox.emulators.serve import RunningServer
from shared.storage import Storage
from shared.telemetry_redaction import install, install_on
from tests.integration.orders.conftest import Admin, clean_storage, good_order, make_sync  # noqa: F401
from tests.integration.refunds.conftest import FAST, Clock, make_sale


class RawSnapshot(SpanProcessor):
    """Runs before the redaction (processors start in the order they were added)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.urls += [str(v) for k, v in (span.attributes or {}).items() if "url" in k]


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def telemetry() -> Iterator[tuple[InMemorySpanExporter, RawSnapshot, Lines]]:
    exporter, raw, lines = InMemorySpanExporter(), RawSnapshot(), Lines()
    provider = TracerProvider()
    provider.add_span_processor(raw)
    assert install_on(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    install()  # the log filter on httpx's logger
    httpx_log = logging.getLogger("httpx")
    old_level = httpx_log.level
    httpx_log.setLevel(logging.INFO)
    httpx_log.addHandler(lines)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    try:
        yield exporter, raw, lines
    finally:
        HTTPXClientInstrumentor().uninstrument()
        httpx_log.removeHandler(lines)
        httpx_log.setLevel(old_level)


def _personal(order: dict[str, Any]) -> set[str]:
    values = {order.get("email"), order.get("phone")}
    for part in ("customer", "shipping_address", "billing_address"):
        block = order.get(part) or {}
        values |= {block.get(k) for k in ("email", "phone", "first_name", "last_name", "name", "address1")}
    return {v for v in values if isinstance(v, str) and len(v) >= 3}


def _encodings(value: str) -> set[str]:
    from urllib.parse import quote, quote_plus

    return {value, quote(value, safe=""), quote_plus(value), quote(value, safe="@"), value.replace(" ", "%20")}


def test_no_personal_data_reaches_telemetry_during_an_order_a_customer_match_and_a_refund(
    telemetry: tuple[InMemorySpanExporter, RawSnapshot, Lines],
    d365_server: RunningServer,
    shopify_server: RunningServer,
    clean_storage: Storage,  # noqa: F811 (order records of other modules' emulators would be "updates" here)
) -> None:
    storage = clean_storage
    exporter, raw, lines = telemetry
    admin = Admin(d365_server.url, shopify_server.url)
    order = admin.shop_order(good_order())
    personal = _personal(order)
    assert {"ada@example.com", "Ada", "1 Market St"} <= personal

    outcome = make_sync(storage, d365_server.url, shopify_server.url).handle("orders/create", order)
    assert outcome.status == "created"
    d365 = D365Client(d365_server.url, "usmf", lambda: "local-dev-token", policy=FAST)
    shopify = ShopifyAdmin(shopify_server.url, "shpat_local_dev", "2025-10", policy=FAST)
    try:
        sale = make_sale(d365, d365_server.url, shopify_server.url)
        refund = RefundService(d365, shopify, storage, RefundConfig(retry_base_s=1), now=Clock())
        assert refund.handle(sale.refund_body([(1, 1, "cancel")])).status == "order_reduced"
    finally:
        d365.close()
        shopify.close()

    spans = exporter.get_finished_spans()
    assert len(spans) >= 5
    raw_text = " ".join(raw.urls)
    assert any(e in raw_text for e in _encodings("ada@example.com")), "the customer match should filter by e-mail"
    exported = json.dumps(
        [
            {
                "name": s.name,
                "attributes": dict(s.attributes or {}),
                "events": [{"name": e.name, "attributes": dict(e.attributes or {})} for e in s.events],
            }
            for s in spans
        ],
        default=str,
    )
    assert "?[redacted]" in exported
    logged = "\n".join(lines.lines)
    assert logged, "httpx logs its requests at INFO"
    for value in personal:
        for encoded in _encodings(value):
            assert encoded not in exported, f"{value!r} reached a span"
            assert encoded not in logged, f"{value!r} reached a log line"
