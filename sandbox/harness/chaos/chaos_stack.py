"""The systems a chaos run drives: the F&O and Shopify emulators (threads in this process, with faults
and a small cost bucket) and the app on the local Functions host (a subprocess that can be killed
like a crashed worker and started again on the same port and the same storage)."""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import ClientDisconnect

from sandbox.emulators.d365.app import create_app as create_d365
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.host.process import HostProcess, start_host

SECRET = "chaos-webhook-secret"
SHOP = "chaos-shop.myshopify.com"
NEVER = "0 0 0 1 1 *"  # timers that are not under test run on the 1st of January only


@dataclass
class Faults:
    """F&O faults: 10 % throttled or failed (429/500/503), 2 % applied with the response lost, spikes."""

    seed: int = 7
    rate_429: float = 0.05
    rate_500: float = 0.03
    rate_503: float = 0.02
    rate_lost_response: float = 0.02
    spike_rate: float = 0.03
    spike_ms: float = 800.0
    latency_ms: float = 5.0
    jitter_ms: float = 10.0
    retry_after_s: float = 1.0

    def as_config(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Bucket:
    """A small Shopify GraphQL cost bucket (the standard plan's is 2000): the write-backs get throttled."""

    maximum_available: float = 60.0
    restore_rate: float = 50.0
    rest_bucket_size: int = 10
    rest_leak_rate: float = 2.0


class _ExpectedBreakage(logging.Filter):
    """Tracebacks the run causes on purpose: connections the fault injector drops (uvicorn logs each),
    and requests of a killed host that disconnect mid-way (the F&O emulator logs each). Real errors
    still show."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        injected = isinstance(error, ConnectionAbortedError) and "injected" in str(error)
        return not (injected or isinstance(error, ClientDisconnect))


def quiet_expected_breakage() -> None:
    for name in ("uvicorn.error", "sandbox.emulators.d365"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _ExpectedBreakage) for f in logger.filters):
            logger.addFilter(_ExpectedBreakage())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ChaosStack:
    storage: str  # AzureWebJobsStorage connection string
    base_id: int
    lease_s: float = 15.0
    log_dir: Path | None = None
    refund_retry_s: tuple[float, float] = (1.0, 5.0)  # REFUND_RETRY_BASE_SECONDS, REFUND_RETRY_MAX_SECONDS
    threads: int = 16  # PYTHON_THREADPOOL_THREAD_COUNT: webhooks and queue work share the worker's pool
    refund_action: str = "wait"  # REFUND_UNINVOICED_ACTION
    fo: RunningServer | None = None
    shop: RunningServer | None = None
    host: HostProcess | None = None
    port: int = 0
    function_key: str = "chaos-function-key"
    master_key: str = "chaos-master-key"
    restarts: int = 0
    lines: list[str] = field(default_factory=list)  # output of the hosts that were killed

    def start_emulators(self, bucket: Bucket) -> None:
        quiet_expected_breakage()
        self.fo = start_in_thread(create_d365(), name="chaos-d365")
        shop_config = ShopifyEmulatorConfig(
            id_start=self.base_id + 50_000,
            shop_domain=SHOP,
            api_secret=SECRET,
            bucket_max=bucket.maximum_available,
            restore_rate=bucket.restore_rate,
            rest_bucket_size=bucket.rest_bucket_size,
            rest_leak_rate=bucket.rest_leak_rate,
        )
        self.shop = start_in_thread(create_shopify(shop_config), name="chaos-shopify")

    def faults(self, faults: Faults | None) -> None:
        assert self.fo is not None
        httpx.put(
            f"{self.fo.url}/_emulator/faults", json=faults.as_config() if faults else {}, timeout=10
        ).raise_for_status()

    def env(self) -> dict[str, str]:
        assert self.fo is not None and self.shop is not None
        return {
            "AzureWebJobsStorage": self.storage,
            "SHOPIFY_API_SECRET": SECRET,
            "SHOPIFY_SHOP_DOMAIN": SHOP,
            "SHOPIFY_ADMIN_URL": self.shop.url,
            "SHOPIFY_ADMIN_TOKEN": "shpat_local_dev",
            "D365_URL": self.fo.url,
            "D365_LEGAL_ENTITY": "usmf",
            "D365_TOKEN": "local-dev-token",
            "D365_ORDER_NUMBER_PREFIX": "CH",
            "D365_RETURN_NUMBER_PREFIX": "RF",
            # "wait": refunds wait for the invoice (the harness invoices like a finance clerk);
            # "reduce_order" when the run has orders refunded before any invoice (never invoiced).
            # Either way they re-check within seconds instead of every 1-60 min.
            "REFUND_UNINVOICED_ACTION": self.refund_action,
            "REFUND_RETRY_BASE_SECONDS": str(self.refund_retry_s[0]),
            "REFUND_RETRY_MAX_SECONDS": str(self.refund_retry_s[1]),
            "PYTHON_THREADPOOL_THREAD_COUNT": str(self.threads),
            "LOCAL_HOST_FUNCTION_KEY": self.function_key,
            "LOCAL_HOST_MASTER_KEY": self.master_key,
            "WEBHOOK_RETENTION_SCHEDULE": NEVER,
            "ORDER_RECONCILE_SCHEDULE": NEVER,
            "FULFILLMENT_SYNC_SCHEDULE": NEVER,
            "INVENTORY_SYNC_SCHEDULE": NEVER,
            "CATALOG_SYNC_SCHEDULE": NEVER,
            "PAYMENTS_SYNC_SCHEDULE": NEVER,
            "FREIGHT_INVOICE_SCHEDULE": NEVER,
            # A failed message is retried after 1 s; a message held by a killed host comes back after
            # lease_s (the real host's lease is 10 minutes).
            "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:01",
            "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.500",
            "LOCAL_HOST_QUEUE_LEASE_SECONDS": str(self.lease_s),
        }

    def start_host(self) -> HostProcess:
        self.port = self.port or free_port()
        log_file = self.log_dir / f"host-{self.restarts}.log" if self.log_dir else None
        self.host = start_host(self.env(), port=self.port, log_file=log_file, timeout=90)
        return self.host

    def current(self) -> HostProcess:
        assert self.host is not None, "the host is not running"
        return self.host

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/shopify/webhooks"

    def crash_and_restart(self) -> None:
        """Kill the host like a crash (in-flight invocations die, their messages keep the lease), then
        start a new one on the same port and storage."""
        assert self.host is not None
        self.host.kill()
        self.lines.extend(self.host.lines)
        self.restarts += 1
        self.start_host()

    def output(self) -> str:
        return "\n".join(self.lines + (self.host.lines if self.host else []))

    def stop(self) -> None:
        if self.host:
            self.host.stop()
            self.lines.extend(self.host.lines)
            self.host = None
        for server in (self.fo, self.shop):
            if server:
                server.stop()
