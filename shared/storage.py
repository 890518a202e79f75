"""Azure Storage access (Queues, Tables, Blobs) from a Functions-style connection setting.

Connections resolve the way the Functions host resolves a binding's ``connection``:

* ``<NAME>`` holds a connection string (``UseDevelopmentStorage=true`` works for Azurite), or
* identity-based ``<NAME>__queueServiceUri`` / ``__tableServiceUri`` / ``__blobServiceUri`` (or
  ``__serviceUri``), or ``<NAME>__accountName`` for the public cloud, with ``__credential=managedidentity``
  and ``__clientId`` for a user-assigned identity (``DefaultAzureCredential`` otherwise).

Queue messages are written and read as base64 text (``TextBase64EncodePolicy``), because the
Functions host expects base64 and moves anything else straight to the poison queue. Queues, tables
and containers are created on first use, once per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import requests
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline.transport import RequestsTransport
from azure.data.tables import TableClient, TableServiceClient
from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.blob import LinearRetry as BlobLinearRetry
from azure.storage.queue import LinearRetry as QueueLinearRetry
from azure.storage.queue import (
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.settings import SettingsError

Service = Literal["queue", "table", "blob"]

# The Storage limit is 64 KiB for the message as sent; base64 inflates by 4/3.
QUEUE_MESSAGE_MAX_BYTES = 64 * 1024
QUEUE_MESSAGE_MAX_RAW_BYTES = QUEUE_MESSAGE_MAX_BYTES * 3 // 4

# Timeouts and retries on every call: storage that hangs or fails must not hold a webhook past
# Shopify's 5 s (the SDK defaults retry for minutes); the callers' own retries (queue redelivery,
# Shopify's webhook retries) take over from there.
CONNECTION_TIMEOUT = 2
READ_TIMEOUT = 4
RETRIES = 1


@dataclass(frozen=True)
class Connection:
    name: str
    connection_string: str | None
    endpoints: Mapping[str, str]
    credential: Any = None

    def endpoint(self, service: Service) -> str:
        try:
            return self.endpoints[service]
        except KeyError:
            raise SettingsError(
                f"storage connection '{self.name}' has no {service} endpoint: set {self.name} to a "
                f"connection string, or {self.name}__{service}ServiceUri / {self.name}__accountName"
            ) from None


def resolve_connection(name: str = "AzureWebJobsStorage", environ: Mapping[str, str] | None = None) -> Connection:
    env = os.environ if environ is None else environ
    name = name or "AzureWebJobsStorage"
    value = env.get(name, "").strip()
    if value:
        if "=" not in value:
            raise SettingsError(f"setting {name} is not a storage connection string")
        return Connection(name=name, connection_string=value, endpoints={})
    prefix = f"{name}__"
    endpoints: dict[str, str] = {}
    account = env.get(f"{prefix}accountName", "").strip()
    for service in ("queue", "table", "blob"):
        uri = env.get(f"{prefix}{service}ServiceUri", "").strip()
        if not uri and service == "queue":  # __serviceUri is the queue extension's alias only
            uri = env.get(f"{prefix}serviceUri", "").strip()
        if uri:
            endpoints[service] = uri
        elif account:
            endpoints[service] = f"https://{account}.{service}.core.windows.net"
    if not endpoints:
        raise SettingsError(
            f"missing setting: {name} (a storage connection string such as UseDevelopmentStorage=true, "
            f"or identity-based {name}__accountName / {name}__queueServiceUri)"
        )
    return Connection(
        name=name, connection_string=None, endpoints=endpoints, credential=_identity_credential(env, prefix)
    )


def _identity_credential(env: Mapping[str, str], prefix: str) -> Any:
    # Imported lazily: azure-identity is only needed for identity-based connections.
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

    client_id = env.get(f"{prefix}clientId") or None
    if env.get(f"{prefix}credential", "").lower() == "managedidentity":
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential(managed_identity_client_id=client_id)


_CLIENT_KW: dict[str, Any] = {"connection_timeout": CONNECTION_TIMEOUT, "read_timeout": READ_TIMEOUT}

# One HTTP connection pool per process, shared by every Azure SDK client (Queue, Table, Blob; one
# pool per endpoint inside it), sized to the threads that call storage at once. requests' default
# (10 per endpoint) is smaller than the worker's thread pool: connections were opened and then
# discarded ("Connection pool is full") under load.
_POOL_HEADROOM = 8
_session: requests.Session | None = None
_session_lock = threading.Lock()
# Round trips per service in this process (the benchmarks read them through the local host).
CALLS: dict[str, int] = {"queue": 0, "table": 0, "blob": 0}
_here = threading.local()


def calls_in_this_thread() -> dict[str, int]:
    """Round trips made by the calling thread only (a background writer's flushes are not in it): what
    one function's own storage calls are, exactly."""
    counts: dict[str, int] | None = getattr(_here, "calls", None)
    if counts is None:
        counts = _here.calls = {"queue": 0, "table": 0, "blob": 0}
    return counts


def pool_size(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    try:
        threads = int(env.get("PYTHON_THREADPOOL_THREAD_COUNT", "") or 0)
    except ValueError:
        threads = 0
    return max(threads, os.cpu_count() or 1, 16) + _POOL_HEADROOM


def shared_session() -> requests.Session:
    global _session
    with _session_lock:
        if _session is None:
            # As azure-core sets up a session it owns: no urllib3 retries (the SDK policies retry), proxies
            # from the environment only when one is configured.
            session = requests.Session()
            session.trust_env = _proxied()
            adapter = HTTPAdapter(
                pool_connections=16,
                pool_maxsize=pool_size(),
                max_retries=Retry(total=False, redirect=False, raise_on_status=False),
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            _session = session
        return _session


class _CountingTransport(RequestsTransport):
    """The shared session, and a count of round trips for one service."""

    def __init__(self, service: Service, **kwargs: Any) -> None:
        super().__init__(session=shared_session(), session_owner=False, **kwargs)
        self.service = service

    def send(self, request: Any, **kwargs: Any) -> Any:
        CALLS[self.service] += 1  # a lost increment under a race only blurs a benchmark figure
        calls_in_this_thread()[self.service] += 1
        return super().send(request, **kwargs)


def _proxied() -> bool:
    # Reading proxy settings from the environment costs a scan of os.environ on every call (about a
    # tenth of the host's CPU in the benchmarks): only do it when a proxy is actually configured.
    return any(os.environ.get(name) for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"))


def _transport(service: Service) -> RequestsTransport:
    return _CountingTransport(service, use_env_settings=_proxied())


def _queue_kw() -> dict[str, Any]:
    return {
        **_CLIENT_KW,
        "transport": _transport("queue"),
        "retry_policy": QueueLinearRetry(backoff=1, retry_total=RETRIES, random_jitter_range=1),
    }


def _blob_kw() -> dict[str, Any]:
    return {
        **_CLIENT_KW,
        "transport": _transport("blob"),
        "retry_policy": BlobLinearRetry(backoff=1, retry_total=RETRIES, random_jitter_range=1),
    }


def _table_kw() -> dict[str, Any]:
    return {
        **_CLIENT_KW,
        "transport": _transport("table"),
        "retry_total": RETRIES,
        "retry_backoff_factor": 0.5,
        "retry_backoff_max": 1,
    }


class Storage:
    """Clients for one storage connection, cached per process and thread-safe."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()
        self._created: set[tuple[str, str]] = set()
        self._queue_service: QueueServiceClient | None = None
        self._table_service: TableServiceClient | None = None
        self._blob_service: BlobServiceClient | None = None
        self._tables: dict[str, TableClient] = {}
        self._queues: dict[tuple[str, bool], QueueClient] = {}
        self._containers: dict[str, ContainerClient] = {}
        # Short-lived caches of what the app reads for every unit of work (mappings, customer links),
        # kept per Storage so that a test's fresh Storage starts empty. Values are replaced whole.
        self.memo: dict[str, Any] = {}

    @classmethod
    def from_setting(cls, name: str = "AzureWebJobsStorage", environ: Mapping[str, str] | None = None) -> Storage:
        return cls(resolve_connection(name, environ))

    # -- services -------------------------------------------------------------------------------
    def queue_service(self) -> QueueServiceClient:
        if self._queue_service is None:
            c = self.connection
            self._queue_service = (
                QueueServiceClient.from_connection_string(c.connection_string, **_queue_kw())
                if c.connection_string
                else QueueServiceClient(c.endpoint("queue"), credential=c.credential, **_queue_kw())
            )
        return self._queue_service

    def table_service(self) -> TableServiceClient:
        if self._table_service is None:
            c = self.connection
            self._table_service = (
                TableServiceClient.from_connection_string(c.connection_string, **_table_kw())
                if c.connection_string
                else TableServiceClient(c.endpoint("table"), credential=c.credential, **_table_kw())
            )
        return self._table_service

    def blob_service(self) -> BlobServiceClient:
        if self._blob_service is None:
            c = self.connection
            self._blob_service = (
                BlobServiceClient.from_connection_string(c.connection_string, **_blob_kw())
                if c.connection_string
                else BlobServiceClient(c.endpoint("blob"), credential=c.credential, **_blob_kw())
            )
        return self._blob_service

    # -- resources, created on first use ----------------------------------------------------------
    def _ensure(self, kind: str, name: str, create: Any) -> None:
        key = (kind, name)
        if key in self._created:
            return
        try:
            create()
        except ResourceExistsError:
            pass
        with self._lock:
            self._created.add(key)

    def queue(self, name: str) -> QueueClient:
        """A base64 queue client. (The service client does not hand its encode policy down to the
        queue clients it makes, so the policies are set here, per queue.)"""
        client = self._queues.get((name, True))
        if client is None:
            client = self.queue_service().get_queue_client(
                name, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy()
            )
            self._ensure("queue", name, client.create_queue)
            self._queues[(name, True)] = client  # one client per queue, as for tables
        return client

    def raw_queue(self, name: str) -> QueueClient:
        """A queue client without base64 policies: for copying messages verbatim (poison handling).
        It shares the service client's connection pool."""
        client = self._queues.get((name, False))
        if client is None:
            client = self.queue_service().get_queue_client(name)
            self._ensure("queue", name, client.create_queue)
            self._queues[(name, False)] = client
        return client

    def table(self, name: str) -> TableClient:
        client = self._tables.get(name)
        if client is None:
            client = self.table_service().get_table_client(name)
            self._ensure("table", name, client.create_table)
            self._tables[name] = client  # one client per table: building one per call costs CPU
        return client

    def container(self, name: str) -> ContainerClient:
        client = self._containers.get(name)
        if client is None:
            client = self.blob_service().get_container_client(name)
            self._ensure("container", name, client.create_container)
            self._containers[name] = client
        return client


_default: Storage | None = None
_default_lock = threading.Lock()


def get_storage() -> Storage:
    """The app's storage (``AzureWebJobsStorage``), built on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Storage.from_setting()
        return _default


def reset_storage() -> None:
    global _default
    with _default_lock:
        _default = None


_FORBIDDEN_KEY_CHARS = set("/\\#?") | {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7F, 0xA0)}


def storage_unavailable(error: BaseException) -> bool:
    """Azure Storage did not answer, or answered 429/5xx: worth another try later (the one rule for
    storage failures; ``integration.errors.is_transient`` and the buffered writers use it)."""
    if isinstance(error, (ServiceRequestError, ServiceResponseError)):
        return True
    status = getattr(error, "status_code", None)
    return isinstance(error, HttpResponseError) and isinstance(status, int) and (status == 429 or status >= 500)


def safe_key(value: str) -> str:
    """A Table PartitionKey/RowKey from an arbitrary string: forbidden characters become '_'.

    Azurite answers 500 for '/' in keys where Azure answers 400, so keys are cleaned client-side.
    """
    cleaned = "".join("_" if ch in _FORBIDDEN_KEY_CHARS else ch for ch in value)
    return cleaned[:1024]
