"""The host's own storage access: Azure SDK clients for one binding ``connection``, independent of the
app's code (the host must check the app's message encoding, not share it).

A connection resolves the way the Functions host resolves it:

* ``<NAME>`` holds a connection string (``UseDevelopmentStorage=true`` works for Azurite), or
* identity-based ``<NAME>__queueServiceUri`` / ``__blobServiceUri`` (``__serviceUri`` is the queue
  extension's alias), or ``<NAME>__accountName`` for the public cloud, with
  ``__credential=managedidentity`` and ``__clientId`` for a user-assigned identity.

Queue clients carry no encode/decode policy: message text goes over the wire exactly as stored, and
``encoding.py`` applies ``messageEncoding`` (base64 by default) the way the Storage Queues extension
does. Queues and containers the host writes to (output bindings, poison queues, the timer monitor's
``azure-webjobs-hosts``) are created on first use, as the host creates them; a trigger's own queue is
never created (the listener waits for it).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ResourceExistsError
from azure.core.pipeline.transport import RequestsTransport
from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.blob import LinearRetry as BlobRetry
from azure.storage.queue import LinearRetry as QueueRetry
from azure.storage.queue import QueueClient, QueueServiceClient

DEFAULT_CONNECTION = "AzureWebJobsStorage"


def _client_kw(retry: type[QueueRetry] | type[BlobRetry]) -> dict[str, Any]:
    # Short timeouts and one retry: the listeners poll again anyway. Reading proxy settings costs a scan
    # of os.environ per request (measurable in the host's CPU under load): only when a proxy is set.
    proxied = any(os.environ.get(name) for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"))
    return {
        "connection_timeout": 2,
        "read_timeout": 4,
        "transport": RequestsTransport(use_env_settings=proxied),
        "retry_policy": retry(backoff=1, retry_total=1, random_jitter_range=1),
    }


class ConnectionSettingError(ValueError):
    """A binding's connection setting is missing or malformed (the function is reported in error)."""


@dataclass(frozen=True)
class Connection:
    name: str
    connection_string: str | None
    endpoints: Mapping[str, str]
    credential: Any = None

    def endpoint(self, service: str) -> str:
        if service not in self.endpoints:
            raise ConnectionSettingError(
                f"Storage account connection '{self.name}' has no {service} endpoint "
                f"(set {self.name}, {self.name}__{service}ServiceUri or {self.name}__accountName)"
            )
        return self.endpoints[service]


def resolve_connection(name: str | None, environ: Mapping[str, str] | None = None) -> Connection:
    env = os.environ if environ is None else environ
    name = name or DEFAULT_CONNECTION
    value = env.get(name, "").strip()
    if value:
        if "=" not in value:
            raise ConnectionSettingError(f"Storage account connection string '{name}' is not a connection string")
        return Connection(name, value, {})
    prefix = f"{name}__"
    account = env.get(f"{prefix}accountName", "").strip()
    endpoints: dict[str, str] = {}
    for service in ("queue", "blob"):
        uri = env.get(f"{prefix}{service}ServiceUri", "").strip()
        if not uri and service == "queue":
            uri = env.get(f"{prefix}serviceUri", "").strip()
        if uri:
            endpoints[service] = uri
        elif account:
            endpoints[service] = f"https://{account}.{service}.core.windows.net"
    if not endpoints:
        raise ConnectionSettingError(f"Storage account connection string '{name}' does not exist")
    return Connection(name, None, endpoints, _credential(env, prefix))


def _credential(env: Mapping[str, str], prefix: str) -> Any:
    from azure.identity import DefaultAzureCredential, ManagedIdentityCredential  # identity connections only

    client_id = env.get(f"{prefix}clientId") or None
    if env.get(f"{prefix}credential", "").lower() == "managedidentity":
        return ManagedIdentityCredential(client_id=client_id)
    return DefaultAzureCredential(managed_identity_client_id=client_id)


class HostStorage:
    """Queue and blob clients for one connection, shared by the host's listeners, bindings and timers."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._lock = threading.Lock()
        self._created: set[tuple[str, str]] = set()
        self._queues: QueueServiceClient | None = None
        self._blobs: BlobServiceClient | None = None

    @classmethod
    def from_setting(cls, name: str | None, environ: Mapping[str, str] | None = None) -> HostStorage:
        return cls(resolve_connection(name, environ))

    def _service(self, kind: Any, service: str, retry: type[QueueRetry] | type[BlobRetry]) -> Any:
        c, kw = self.connection, _client_kw(retry)
        if c.connection_string:
            return kind.from_connection_string(c.connection_string, **kw)
        return kind(c.endpoint(service), credential=c.credential, **kw)

    def queue_service(self) -> QueueServiceClient:
        with self._lock:
            if self._queues is None:
                self._queues = self._service(QueueServiceClient, "queue", QueueRetry)
            return self._queues

    def blob_service(self) -> BlobServiceClient:
        with self._lock:
            if self._blobs is None:
                self._blobs = self._service(BlobServiceClient, "blob", BlobRetry)
            return self._blobs

    def trigger_queue(self, name: str) -> QueueClient:
        """A trigger's queue, as it is (never created by the host)."""
        return self.queue_service().get_queue_client(name)

    def output_queue(self, name: str) -> QueueClient:
        """A queue the host writes to (output binding, poison queue), created on first use."""
        client = self.queue_service().get_queue_client(name)
        self._ensure("queue", name, client.create_queue)
        return client

    def container(self, name: str) -> ContainerClient:
        client = self.blob_service().get_container_client(name)
        self._ensure("container", name, client.create_container)
        return client

    def _ensure(self, kind: str, name: str, create: Any) -> None:
        if (kind, name) in self._created:
            return
        try:
            create()
        except ResourceExistsError:
            pass
        with self._lock:
            self._created.add((kind, name))


class Connections:
    """One :class:`HostStorage` per connection setting name."""

    def __init__(self) -> None:
        self._by_name: dict[str, HostStorage] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str | None) -> HostStorage:
        key = name or DEFAULT_CONNECTION
        with self._lock:
            if key not in self._by_name:
                self._by_name[key] = HostStorage.from_setting(key)
            return self._by_name[key]
