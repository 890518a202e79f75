"""What the two OData v4 clients share: F&O (``d365.py``) and Dataverse (``dataverse.py``).

Literals and key segments, JSON with exact decimals, the bearer token (a static one for the local
emulators, a client secret, or managed identity through azure-identity, with the service URL's
``/.default`` scope), one request sent with the shared retry policy (``shared.http``) whose failure
each client classifies into its own errors, and the parsing of multipart ``$batch`` answers. The
clients keep what differs: F&O's legal entity and cross-company reads, Dataverse's alternate keys
and actions, and each service's error text.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx

from integration.errors import IntegrationError
from shared.http import DEFAULT_TIMEOUT, CallStats, Exhausted, RetryPolicy, send_with_retry
from shared.settings import Settings

TokenProvider = Callable[[], str]


def odata_literal(value: Any) -> str:
    """A value as an OData literal: strings quoted with ' doubled, numbers and booleans bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def key_segment(key: Mapping[str, Any]) -> str:
    """``(name='value',...)`` with each literal percent-encoded: a '#', '?', '/' or '%' in a key value
    would otherwise cut or change the URL."""
    return "(" + ",".join(f"{name}={quote(odata_literal(value), safe=chr(39))}" for name, value in key.items()) + ")"


def dumps(body: Any) -> str:
    # Decimals go out as JSON numbers with their exact digits (Edm.Decimal), never via float rounding.
    return json.dumps(body, default=_decimal_marker).replace('"__dec__:', "").replace(':__dec__"', "")


def _decimal_marker(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"__dec__:{value}:__dec__"
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def error_body(response: httpx.Response) -> Any:
    """The JSON error envelope, or one made of the text when a gateway answered something else."""
    try:
        return loads(response.content)
    except ValueError:
        return {"error": {"message": response.text[:500]}}


def token_provider(settings: Settings, prefix: str) -> TokenProvider:
    """A bearer token for ``<prefix>_URL`` from ``<prefix>_TOKEN`` (static), else ``<prefix>_CLIENT_SECRET``
    with ``_TENANT_ID`` and ``_CLIENT_ID``, else managed identity (``_CLIENT_ID`` picks a user-assigned one)."""
    static = getattr(settings, f"{prefix}_TOKEN").get_secret_value()
    if static:
        return lambda: str(static)
    from azure.identity import ClientSecretCredential, DefaultAzureCredential  # only needed in Azure

    scope = f"{str(getattr(settings, f'{prefix}_URL')).rstrip('/')}/.default"
    secret = getattr(settings, f"{prefix}_CLIENT_SECRET").get_secret_value()
    tenant_id, client_id = str(getattr(settings, f"{prefix}_TENANT_ID")), str(getattr(settings, f"{prefix}_CLIENT_ID"))
    credential: Any
    if secret:
        settings.require(f"{prefix}_TENANT_ID", f"{prefix}_CLIENT_ID")
        credential = ClientSecretCredential(tenant_id, client_id, secret)
    else:
        credential = DefaultAzureCredential(managed_identity_client_id=client_id or None)
    cache: dict[str, Any] = {}
    lock = threading.Lock()

    def provide() -> str:
        with lock:
            token = cache.get("token")
            if token is None or token.expires_on - time.time() < 300:  # refresh 5 minutes early
                token = credential.get_token(scope)
                cache["token"] = token
            return str(token.token)

    return provide


class ODataClient:
    """One long-lived ``httpx`` client, the bearer token and the retry policy; a subclass says how its
    service's errors read (:meth:`classify`) and what an unanswered request is (:meth:`unanswered`)."""

    def __init__(
        self,
        root: str,
        token: TokenProvider,
        headers: Mapping[str, str],
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self.root = root
        self.token = token
        self.policy = policy or RetryPolicy()
        self.stats = CallStats()
        self.http = httpx.Client(transport=transport, timeout=timeout, headers=dict(headers))

    def close(self) -> None:
        self.http.close()

    def classify(self, status: int, payload: Any, target: str) -> IntegrationError:
        raise NotImplementedError

    def unanswered(self, message: str, target: str) -> IntegrationError:
        raise NotImplementedError

    def request(
        self,
        method: str,
        url: str,
        target: str,
        *,
        params: Mapping[str, str] | None = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry_transport_errors: bool = True,
    ) -> httpx.Response:
        """Send with retries; a response of 400 or more raises the classified error."""
        request = self.http.build_request(
            method,
            url,
            params=params,
            content=content,
            headers={"Authorization": f"Bearer {self.token()}", **(headers or {})},
        )
        try:
            response = send_with_retry(self.http, request, self.policy, self.stats, retry_transport_errors)
        except Exhausted as error:
            if error.response is not None:
                raise self.classify(error.response.status_code, error_body(error.response), target) from None
            raise self.unanswered(str(error), target) from error
        if response.status_code >= 400:
            raise self.classify(response.status_code, error_body(response), target)
        return response


@dataclass
class BatchPart:
    """One HTTP response inside a multipart ``$batch`` answer."""

    status: int
    body: Any


def parse_batch(content_type: str, content: bytes) -> list[BatchPart]:
    """The HTTP responses inside a multipart ``$batch`` answer, changesets flattened, in order.
    ``ValueError`` when the answer has no multipart boundary."""
    text = content.decode("utf-8", errors="replace")
    results: list[BatchPart] = []
    for part in _split(text, _boundary(content_type)):
        head, _, rest = part.partition("\r\n\r\n") if "\r\n\r\n" in part else part.partition("\n\n")
        if "multipart/mixed" in head.lower():
            inner_type = next(
                line.split(":", 1)[1] for line in head.splitlines() if line.lower().startswith("content-type")
            )
            results.extend(parse_batch(inner_type, rest.encode()))
            continue
        status_line, _, after = rest.lstrip().partition("\n")
        try:
            status = int(status_line.split()[1])
        except (IndexError, ValueError):
            continue
        _, _, body_text = after.replace("\r\n", "\n").partition("\n\n")
        body_text = body_text.strip()
        try:
            body = loads(body_text) if body_text else None
        except ValueError:
            body = {"error": {"message": body_text[:500]}}
        results.append(BatchPart(status, body))
    return results


def _boundary(content_type: str) -> str:
    for piece in content_type.split(";"):
        name, _, value = piece.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip('"')
    raise ValueError(f"$batch response without a multipart boundary: {content_type!r}")


def _split(text: str, boundary: str) -> list[str]:
    delimiter = f"--{boundary}"
    parts = []
    for piece in text.split(delimiter)[1:]:
        if piece.startswith("--"):
            break
        parts.append(piece.strip("\r\n"))
    return parts
