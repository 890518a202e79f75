"""Application Insights through OpenTelemetry (``azure-monitor-opentelemetry``), set up once and lazily.

Two ways telemetry gets configured, and this module copes with both:

* In Azure the template sets ``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true`` and host.json has
  ``"telemetryMode": "OpenTelemetry"``: the Python worker itself calls ``configure_azure_monitor()``
  before it loads ``function_app.py`` and attaches each invocation's trace context. Configuring a
  second time would duplicate exporters, so ``configure_telemetry()`` only notices the SDK providers
  are already installed and uses them for the custom metrics below.
* Anywhere else with ``APPLICATIONINSIGHTS_CONNECTION_STRING`` set (the local host, a worker without
  the setting), ``configure_telemetry()`` configures the distro itself. httpx calls become dependency
  spans: the distro bundles and enables ``opentelemetry-instrumentation-httpx``.

Without a connection string everything here is a no-op. Nothing here raises and nothing runs at import
time: a telemetry problem logs one warning and the function carries on.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

logger = logging.getLogger(__name__)

CONNECTION_STRING_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
METER_NAME = "shopify_d365_fedex"

# Custom metrics (Application Insights `customMetrics`). Counters unless listed as histograms.
ORDERS_SYNCED = "orders_synced"  # dims: outcome=created|duplicate|exception
EXCEPTIONS = "exceptions"  # dims: flow, reason
RATE_CACHE_HITS = "rate_cache_hits"
RATE_CACHE_MISSES = "rate_cache_misses"
FEDEX_LATENCY_MS = "fedex_latency_ms"  # histogram; dims: outcome=ok|error|timeout

_HISTOGRAMS = {FEDEX_LATENCY_MS}
_UNITS = {FEDEX_LATENCY_MS: "ms"}
_DESCRIPTIONS = {
    ORDERS_SYNCED: "Shopify orders processed into F&O sales orders",
    EXCEPTIONS: "Documents parked as exceptions for a person",
    RATE_CACHE_HITS: "Checkout rate requests answered from the cache",
    RATE_CACHE_MISSES: "Checkout rate requests that called FedEx",
    FEDEX_LATENCY_MS: "FedEx Rate API latency",
}

_lock = threading.Lock()
_attempted = False
_meter: Any = None
_instruments: dict[str, Any] = {}


def configure_telemetry(environ: Mapping[str, str] | None = None) -> bool:
    """Set up Azure Monitor once per process; return whether telemetry is active.

    Idempotent and thread-safe: the first call decides, later calls return the same answer.
    """
    global _attempted, _meter
    if _attempted:
        return _meter is not None
    with _lock:
        if _attempted:
            return _meter is not None
        env = os.environ if environ is None else environ
        try:
            _meter = _configure(env)
            if _meter is not None:
                from shared.telemetry_redaction import install

                install()  # query strings (F&O $filter literals) never reach the exporter
        except Exception as error:  # telemetry must never break a function
            logger.warning("telemetry disabled: Azure Monitor setup failed (%s)", type(error).__name__)
            _meter = None
        _attempted = True
        return _meter is not None


def _configure(env: Mapping[str, str]) -> Any:
    connection_string = env.get(CONNECTION_STRING_SETTING, "").strip()
    if not connection_string:
        return None
    from opentelemetry import metrics

    if not _sdk_installed():
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(
            connection_string=connection_string,
            # Inside the Functions host the host already ships logs; exporting them again doubles them.
            disable_logging=bool(env.get("FUNCTIONS_WORKER_RUNTIME")),
            instrumentation_options={"httpx": {"enabled": True}},
        )
        if not _sdk_installed():
            raise RuntimeError("Azure Monitor did not install a meter provider")
    return metrics.get_meter(METER_NAME)


def _sdk_installed() -> bool:
    """True when an OpenTelemetry SDK meter provider is installed (by the worker or by us)."""
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider

    return isinstance(metrics.get_meter_provider(), MeterProvider)


def record_metric(name: str, value: float | int | Decimal = 1, **dims: Any) -> None:
    """Add ``value`` to counter ``name`` (or record it in a histogram, e.g. ``fedex_latency_ms``).

    A no-op without telemetry; never raises. Dimension values become strings unless they are
    bool/int/float; keep them low-cardinality (no order ids) and free of personal data.
    """
    try:
        if not configure_telemetry():
            return
        instrument = _instrument(name)
        attributes = {k: v if isinstance(v, bool | int | float | str) else str(v) for k, v in dims.items()}
        # Telemetry values, not money: float is fine here.
        amount = float(value)
        if name in _HISTOGRAMS:
            instrument.record(amount, attributes=attributes)
        else:
            instrument.add(amount, attributes=attributes)
    except Exception as error:
        logger.warning("metric %s not recorded (%s)", name, type(error).__name__)


def _instrument(name: str) -> Any:
    instrument = _instruments.get(name)
    if instrument is not None:
        return instrument
    with _lock:
        instrument = _instruments.get(name)
        if instrument is None:
            unit = _UNITS.get(name, "1")
            description = _DESCRIPTIONS.get(name, "")
            if name in _HISTOGRAMS:
                instrument = _meter.create_histogram(name, unit=unit, description=description)
            else:
                instrument = _meter.create_counter(name, unit=unit, description=description)
            _instruments[name] = instrument
        return instrument


def telemetry_active() -> bool:
    """Whether configure_telemetry() has run and telemetry is on (for /api/health)."""
    return _attempted and _meter is not None
