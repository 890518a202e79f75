"""Keep query strings (F&O ``$filter`` literals carry e-mail addresses and phone numbers when a
customer is matched) out of telemetry and logs.

* A span processor rewrites the URL attributes of every span when it starts: the httpx (and Azure SDK)
  instrumentation sets ``url.full`` / ``http.url`` at span creation, so the rewritten value is the
  only one any exporter ever sees. The query string becomes ``?[redacted]``.
* A logging filter does the same for httpx's own ``HTTP Request: GET <url>`` lines, which the
  Functions host would otherwise ship to Application Insights.

``install()`` is idempotent and cheap; it is called at import of ``function_app`` (in Azure the worker
has installed the SDK tracer provider by then) and after ``configure_telemetry()`` configures one.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

URL_ATTRIBUTES = ("url.full", "http.url", "http.target", "url.query", "az.service_request_id.url")
REDACTED_QUERY = "[redacted]"
HTTP_LOGGERS = ("httpx", "httpcore", "azure.core.pipeline.policies.http_logging_policy")

_lock = threading.Lock()
_providers: set[int] = set()
_logging_installed = False


def scrub_url(value: str) -> str:
    """The URL without its query string (and without user info)."""
    if "?" not in value and "@" not in value:
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return value.split("?", 1)[0] + f"?{REDACTED_QUERY}"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = REDACTED_QUERY if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _span_processor_class() -> Any:
    from opentelemetry.sdk.trace import SpanProcessor

    class UrlRedactingProcessor(SpanProcessor):
        def on_start(self, span: Any, parent_context: Any = None) -> None:
            attributes = span.attributes or {}
            for key in URL_ATTRIBUTES:
                value = attributes.get(key)
                if not isinstance(value, str):
                    continue
                if key == "url.query":
                    span.set_attribute(key, REDACTED_QUERY)
                elif key == "http.target":
                    span.set_attribute(key, value.split("?", 1)[0] + (f"?{REDACTED_QUERY}" if "?" in value else ""))
                else:
                    span.set_attribute(key, scrub_url(value))
            if "?" in (span.name or ""):
                span.update_name(span.name.split("?", 1)[0])

    return UrlRedactingProcessor


class QueryStringLogFilter(logging.Filter):
    """Rewrites URL arguments of HTTP client log records (httpx logs the full request URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(scrub_url(str(a)) if _looks_like_url(a) else a for a in record.args)
        elif isinstance(record.msg, str) and "://" in record.msg and "?" in record.msg:
            record.msg = " ".join(scrub_url(w) if "://" in w else w for w in record.msg.split(" "))
        return True


def _looks_like_url(value: Any) -> bool:
    text = str(value) if type(value).__name__ == "URL" or isinstance(value, str) else ""
    return "://" in text and "?" in text


def install_on(provider: Any) -> bool:
    """Add the URL-redacting processor to an SDK tracer provider (once per provider)."""
    from opentelemetry.sdk.trace import TracerProvider

    if not isinstance(provider, TracerProvider):
        return False
    with _lock:
        if id(provider) in _providers:
            return True
        provider.add_span_processor(_span_processor_class()())
        _providers.add(id(provider))
    return True


def install() -> None:
    """Redact URLs in logs now, and in spans when an SDK tracer provider is installed. Never raises."""
    global _logging_installed
    try:
        with _lock:
            if not _logging_installed:
                for name in HTTP_LOGGERS:
                    logging.getLogger(name).addFilter(QueryStringLogFilter())
                _logging_installed = True
        # Only when OpenTelemetry is already loaded (the worker or configure_telemetry set it up): a
        # cold start without telemetry does not pay for importing it.
        if "opentelemetry.trace" in sys.modules:
            from opentelemetry import trace

            install_on(trace.get_tracer_provider())
    except Exception as error:  # telemetry hygiene must never break a function
        logging.getLogger(__name__).warning("URL redaction not installed (%s)", type(error).__name__)
