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

from azure.core.exceptions import ResourceExistsError
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


def _transport() -> RequestsTransport:
    # Reading proxy settings from the environment costs a scan of os.environ on every call (about a
    # tenth of the host's CPU in the benchmarks): only do it when a proxy is actually configured.
    proxied = any(os.environ.get(name) for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"))
    return RequestsTransport(use_env_settings=proxied)


def _queue_kw() -> dict[str, Any]:
    return {
        **_CLIENT_KW,
        "transport": _transport(),
        "retry_policy": QueueLinearRetry(backoff=1, retry_total=RETRIES, random_jitter_range=1),
    }


def _blob_kw() -> dict[str, Any]:
    return {
        **_CLIENT_KW,
        "transport": _transport(),
        "retry_policy": BlobLinearRetry(backoff=1, retry_total=RETRIES, random_jitter_range=1),
    }


def _table_kw() -> dict[str, Any]:
    return {
        **_CLIENT_KW,
        "transport": _transport(),
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
        client = self.queue_service().get_queue_client(
            name, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy()
        )
        self._ensure("queue", name, client.create_queue)
        return client

    def raw_queue(self, name: str) -> QueueClient:
        """A queue client without base64 policies: for copying messages verbatim (poison handling).
        It shares the service client's connection pool."""
        client = self.queue_service().get_queue_client(name)
        self._ensure("queue", name, client.create_queue)
        return client

    def table(self, name: str) -> TableClient:
        client = self._tables.get(name)
        if client is None:
            client = self.table_service().get_table_client(name)
            self._ensure("table", name, client.create_table)
            self._tables[name] = client  # one client per table: building one per call costs CPU
        return client

    def container(self, name: str) -> ContainerClient:
        client = self.blob_service().get_container_client(name)
        self._ensure("container", name, client.create_container)
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


def safe_key(value: str) -> str:
    """A Table PartitionKey/RowKey from an arbitrary string: forbidden characters become '_'.

    Azurite answers 500 for '/' in keys where Azure answers 400, so keys are cleaned client-side.
    """
    cleaned = "".join("_" if ch in _FORBIDDEN_KEY_CHARS else ch for ch in value)
    return cleaned[:1024]
