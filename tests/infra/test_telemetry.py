"""shared.telemetry: a no-op without a connection string, configured once, never raises, and custom
metrics really reach an Application Insights ingestion endpoint (a local one on 127.0.0.1).

Configuring OpenTelemetry installs process-wide providers and instruments httpx, so every case runs
in a fresh interpreter and the pytest process stays untouched.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.infra.templates import ROOT

IKEY = "00000000-0000-0000-0000-000000000001"


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("APPLICATIONINSIGHTS_", "OTEL_"))}
    environ.pop("FUNCTIONS_WORKER_RUNTIME", None)
    environ.update(
        {
            "PYTHONPATH": str(ROOT),
            "TMPDIR": str(tmp_path),  # the exporter's offline retry files
            "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
            "OTEL_METRIC_EXPORT_INTERVAL": "200",
            **env,
        }
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT, env=environ
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


class Ingestion(BaseHTTPRequestHandler):
    """Accepts Application Insights track requests and keeps the envelopes."""

    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        text = body.decode()
        items = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line]
        Ingestion.received.extend(items)
        answer = json.dumps({"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def ingestion() -> Iterator[str]:
    Ingestion.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingestion)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_no_connection_string_is_a_no_op(tmp_path: Path) -> None:
    result = run_python(
        "import sys\n"
        "from shared import telemetry\n"
        "assert telemetry.configure_telemetry() is False\n"
        "assert telemetry.configure_telemetry() is False\n"
        "telemetry.record_metric(telemetry.ORDERS_SYNCED, 1, outcome='created')\n"
        "telemetry.record_metric(telemetry.FEDEX_LATENCY_MS, 12.5)\n"
        "assert not telemetry.telemetry_active()\n"
        # Nothing of OpenTelemetry is even imported: no cost on a cold start without telemetry.
        "assert not any(m.startswith('opentelemetry') for m in sys.modules), 'opentelemetry imported'\n"
        "print('ok')\n",
        tmp_path,
    )
    assert result.stdout.strip() == "ok"
    assert result.stderr == ""


@pytest.mark.parametrize("connection_string", ["not a connection string", "InstrumentationKey=not-a-guid"])
def test_malformed_connection_string_warns_and_does_not_raise(tmp_path: Path, connection_string: str) -> None:
    result = run_python(
        "import logging\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from shared import telemetry\n"
        "assert telemetry.configure_telemetry() is False\n"
        "telemetry.record_metric(telemetry.EXCEPTIONS, 1, flow='orders', reason='unknown_sku')\n"
        "print('ok')\n",
        tmp_path,
        APPLICATIONINSIGHTS_CONNECTION_STRING=connection_string,
    )
    assert result.stdout.strip() == "ok"
    assert "telemetry disabled: Azure Monitor setup failed" in result.stderr
    assert connection_string not in result.stderr  # the setting's value is never logged


def test_configured_once_across_threads_and_metrics_are_exported(tmp_path: Path, ingestion: str) -> None:
    result = run_python(
        "import logging, threading\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from decimal import Decimal\n"
        "from shared import telemetry\n"
        "results = []\n"
        "threads = [threading.Thread(target=lambda: results.append(telemetry.configure_telemetry()))\n"
        "           for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "assert results == [True] * 8, results\n"
        "assert telemetry.configure_telemetry() is True\n"
        "from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor\n"
        "assert HTTPXClientInstrumentor().is_instrumented_by_opentelemetry\n"
        "telemetry.record_metric(telemetry.ORDERS_SYNCED, 2, outcome='created')\n"
        "telemetry.record_metric(telemetry.RATE_CACHE_HITS)\n"
        "telemetry.record_metric(telemetry.FEDEX_LATENCY_MS, Decimal('41.5'), outcome='ok')\n"
        "telemetry.record_metric('not_a_number', 'x')  # logged, not raised\n"
        "print('ok')\n",
        tmp_path,
        APPLICATIONINSIGHTS_CONNECTION_STRING=f"InstrumentationKey={IKEY};IngestionEndpoint={ingestion}",
    )
    assert result.stdout.strip() == "ok"
    # A second configure_azure_monitor() would make OpenTelemetry refuse to override its providers.
    assert "Overriding of current" not in result.stderr
    assert "metric not_a_number not recorded (ValueError)" in result.stderr
    metrics = {}
    for envelope in Ingestion.received:
        base = envelope.get("data", {}).get("baseData", {})
        for metric in base.get("metrics", []):
            metrics[metric["name"]] = (metric["value"], base.get("properties", {}))
    assert metrics.get("orders_synced") == (2.0, {"outcome": "created"}), metrics
    assert metrics.get("rate_cache_hits", (None,))[0] == 1.0, metrics
    assert metrics.get("fedex_latency_ms", (None,))[0] == 41.5, metrics
    assert {e["iKey"] for e in Ingestion.received} == {IKEY}


def test_an_already_configured_worker_is_reused_not_reconfigured(tmp_path: Path, ingestion: str) -> None:
    # What the Python worker does with PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true: it configures
    # the distro before function_app.py is imported. configure_telemetry() must not do it again.
    result = run_python(
        "import logging\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from azure.monitor.opentelemetry import configure_azure_monitor\n"
        "configure_azure_monitor()\n"
        "from opentelemetry import metrics\n"
        "provider = metrics.get_meter_provider()\n"
        "from shared import telemetry\n"
        "assert telemetry.configure_telemetry() is True\n"
        "assert metrics.get_meter_provider() is provider\n"
        "telemetry.record_metric(telemetry.RATE_CACHE_MISSES, 3)\n"
        "print('ok')\n",
        tmp_path,
        APPLICATIONINSIGHTS_CONNECTION_STRING=f"InstrumentationKey={IKEY};IngestionEndpoint={ingestion}",
    )
    assert result.stdout.strip() == "ok"
    assert "Overriding of current" not in result.stderr
    names = {m["name"] for e in Ingestion.received for m in e.get("data", {}).get("baseData", {}).get("metrics", [])}
    assert "rate_cache_misses" in names
