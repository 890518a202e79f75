# ruff: noqa: F811  (pytest fixtures imported from the refund tests are parameters here)
"""Freight audit through the ops API: FedEx invoice export upload, matching by tracking number, drift
tolerance, the freight_drift exception and the report; both emulators over HTTP, real Azurite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integration import bootstrap
from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client
from integration.fulfillment.model import SlipRef
from integration.fulfillment.records import FulfillmentRecords
from integration.ops.api import Request
from integration.rates.quotes import QuoteRecorder, quote_row
from sandbox import SAMPLES
from sandbox.emulators.serve import RunningServer
from shared.principal import Principal
from shared.storage import Storage
from tests.integration.refunds.conftest import (  # noqa: F401  (fixtures)
    Sale,
    d365,
    d365_server,
    make_sale,
    shopify_server,
)

HEADER = (SAMPLES / "fedex" / "SYNTHETIC__fedex_billing_online_invoice_export.csv").read_text().splitlines()[0]


@pytest.fixture
def env(
    app_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    d365_server: RunningServer,
    shopify_server: RunningServer,
) -> Iterator[None]:
    values = {
        "D365_URL": d365_server.url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": "local-dev-token",
        "SHOPIFY_ADMIN_URL": shopify_server.url,
        "SHOPIFY_ADMIN_TOKEN": "shpat_local_dev",
        "FREIGHT_DRIFT_TOLERANCE": "1.00",
        "FREIGHT_DRIFT_TOLERANCE_PERCENT": "10",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield
    bootstrap.reset()


def quote(storage: Storage, code: str, cents: int, minutes_ago: int = 5) -> None:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    offered = [(code, str(cents)), ("OTHER", "99")]
    body = {"rates": [{"service_code": c, "total_price": price} for c, price in offered]}
    row = quote_row(
        source="live", reason="", latency_ms=1.0, body=body, destination_country="", destination_postal="",
        currency="USD", correlation_id="test", at=at,
    )  # fmt: skip
    recorder = QuoteRecorder(lambda: storage, interval_s=3600)
    recorder.add(row)
    recorder.flush()


def shipped(storage: Storage, sale: Sale, tracking: str) -> None:
    records = FulfillmentRecords(storage)
    record = records.claim(SlipRef(sale.number, f"CPS-{sale.order_id}"))
    record.shopify_order_id, record.tracking_numbers, record.status = str(sale.order_id), (tracking,), "done"
    records.save(record, release=True)


def csv_row(tracking: str, net: str) -> str:
    cells = {h: "" for h in HEADER.split(",")}
    row = [""] * len(cells)
    names = HEADER.split(",")
    row[names.index("Express or Ground Tracking ID")] = tracking
    row[names.index("Net Charge Amount")] = net
    row[names.index("Service Type")] = "Ground"
    row[names.index("Shipment Date")] = "20261125"
    row[names.index("Invoice Number")] = "900000777"
    row[names.index("Zone Code")] = "4"
    row[names.index("Rated Weight Amount")] = "5"
    row[names.index("Tracking ID Charge Description")] = "Residential Delivery Charge"
    row[names.index("Tracking ID Charge Amount")] = "5.95"
    return ",".join(row)


def call(storage: Storage, method: str, path: str, body: bytes = b"", **params: str) -> tuple[int, dict]:
    return bootstrap.ops_router().dispatch(storage, Request(method, path, params, body, Principal("test")))


def test_upload_matches_by_tracking_and_flags_drift_beyond_tolerance(
    env: None,
    storage: Storage,
    d365: D365Client,
    d365_server: RunningServer,
    shopify_server: RunningServer,
) -> None:
    quote(storage, "GROUND", 1100)  # the shopper saw 11.00 for GROUND
    drifting, fine, waiting = (make_sale(d365, d365_server.url, shopify_server.url) for _ in range(3))
    for sale in (drifting, fine, waiting):
        sale.invoice()
    tag = str(drifting.order_id)[-6:]
    shipped(storage, drifting, f"T{tag}A")
    shipped(storage, fine, f"T{tag}B")
    shipped(storage, waiting, f"T{tag}C")
    body = "\n".join([HEADER, csv_row(f"T{tag}A", "16.95"), csv_row(f"T{tag}B", "11.50"), csv_row("NOSUCH", "9")])
    status, result = call(storage, "POST", "freight/invoices", body.encode())
    assert status == 200, result
    assert result["rows"] == 3 and result["matched"] == 2 and result["unmatched"] == ["NOSUCH"]
    status, audit = call(storage, "POST", "freight/audit")  # every shipped order, the one without invoice too
    assert status == 200
    status, rep = call(storage, "GET", "money/freight", top="50")
    lines = {line["order_id"]: line for line in rep["lines"]}
    a, b, c = lines[str(drifting.order_id)], lines[str(fine.order_id)], lines[str(waiting.order_id)]
    assert (a["quoted"], a["charged"], a["fo_order"], a["fo_invoiced"], a["actual"]) == (
        "11.00", "10.00", "10.00", "10.00", "16.95",
    )  # fmt: skip
    assert a["drift"] == "5.95" and a["flagged"] is True
    assert a["details"][0]["zone"] == "4" and a["details"][0]["surcharges"][0]["amount"] == "5.95"
    assert b["drift"] == "0.50" and b["flagged"] is False
    assert c["actual"] == "" and c["flagged"] is False  # shipped, awaiting the FedEx invoice
    record = ExceptionStore(storage).get("freight", str(drifting.order_id))
    assert record is not None and record.reason_code == "freight_drift" and record.values["actual"] == "16.95"
    assert ExceptionStore(storage).get("freight", str(fine.order_id)) is None
    assert any(s["service"] == "GROUND" and s["flagged"] >= 1 for s in rep["per_service"])
    assert rep["top"][0]["drift"] and abs(float(rep["top"][0]["drift"])) >= 5.95


def test_a_file_that_is_not_a_fedex_export_is_a_400_and_stores_nothing(env: None, storage: Storage) -> None:
    status, result = call(storage, "POST", "freight/invoices", b"a,b\n1,2\n")
    assert status == 400 and "Express or Ground Tracking ID" in result["error"]
    status, result = call(storage, "POST", "freight/invoices", f"{HEADER}\n{csv_row('X1', 'abc')}".encode())
    assert status == 400 and "row 2" in result["error"]
    status, result = call(storage, "POST", "freight/invoices")
    assert status == 400


def test_cli_reports_freight_and_payments_and_writes_csv(env: None, storage: Storage, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from integration.cli import app
    from integration.freight.audit import FreightLine, save
    from integration.payments import records as rec

    tag = datetime.now(UTC).strftime("%H%M%S%f")
    line = FreightLine(f"cli{tag}", f"#cli{tag}", day="2026-10-02", service="GROUND", quoted="5.00", charged="5.00")
    line.actual, line.drift, line.flagged = "12.00", "7.00", True
    save(storage, line)
    rec.PaymentRecords(storage).save("2026-10-02", f"cli{tag}", Status=rec.OPEN, Amount="12.34", OrderName=f"#cli{tag}")
    runner = CliRunner()
    out = tmp_path / "freight.csv"
    result = runner.invoke(app, ["freight", "--since", "2026-10-02", "--until", "2026-10-02", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "Freight drift per service" in result.output and "GROUND" in result.output
    assert f"cli{tag},#cli{tag}" in out.read_text()
    result = runner.invoke(app, ["payments", "--since", "2026-10-02", "--until", "2026-10-02"])
    assert result.exit_code == 0 and "12.34" in result.output
