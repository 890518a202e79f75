"""Dataverse Web API client (Dynamics 365 Sales / Customer Service), OData v4 at ``/api/data/v9.2``.

Auth, retries and ``$batch`` parsing are the F&O client's (``odata.py``): a static token for the local
emulator, a client secret, or managed identity through azure-identity, with the environment URL's
``/.default`` scope; 408/429/5xx retried with ``Retry-After`` (Dataverse's service-protection 429s
carry it).

Writes are idempotent by construction: :meth:`DataverseClient.upsert` is ``PATCH`` on an alternate key
(or a deterministic id), which creates the row or updates it, so a retry after a lost response never
makes a second one. ``If-Match: *`` turns it into update-only (404 when missing), ``If-None-Match: *``
into create-only (412 when present). Dataverse's error body is ``{"error": {"code": "0x...", "message":
...}}``; :func:`classify` maps it once to the error tree below. See docs/flows/crm.md for sources.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from integration.clients.odata import (
    BatchPart,
    ODataClient,
    dumps,
    key_segment,
    loads,
    odata_literal,
    parse_batch,
    token_provider,
)
from integration.errors import Conflict, IntegrationError, Permanent, Transient
from shared.http import DEFAULT_TIMEOUT, RetryPolicy
from shared.settings import Settings

API_PATH = "/api/data/v9.2"
JSON_HEADERS = {
    "OData-Version": "4.0",
    "OData-MaxVersion": "4.0",
    "Accept": "application/json",
    "Content-Type": "application/json; charset=utf-8",
}
MAX_BATCH = 1000  # Dataverse: a $batch holds at most 1,000 requests

__all__ = ["odata_literal"]


class DataverseError(IntegrationError):
    def __init__(self, status: int, message: str, code: str = "", target: str = "") -> None:
        super().__init__(f"Dataverse {status} {code} on {target or 'request'}: {message}")
        self.status, self.message, self.code, self.target = status, message, code, target


class DataverseValidationError(DataverseError, Permanent):
    """A permanent refusal (400/405/...): fix data, mapping or CRM setup; never retried."""


class DataverseNotFound(DataverseError, Permanent):
    pass


class DataversePreconditionFailed(DataverseError, Conflict):
    """412: ``If-None-Match: *`` met an existing row, or a duplicate alternate-key value."""


class DataverseAuthError(DataverseError, Permanent):
    pass


class DataverseTransient(DataverseError, Transient):
    """429/5xx/timeouts that outlasted the client's retries: the queue retries later."""


def classify(status: int, payload: Any, target: str = "") -> DataverseError:
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        error = {"message": str(error or payload or f"HTTP {status}")[:500]}
    message, code = str(error.get("message") or f"HTTP {status}"), str(error.get("code") or "")
    if status == 404:
        return DataverseNotFound(status, message, code, target)
    if status == 412:
        return DataversePreconditionFailed(status, message, code, target)
    if status in (401, 403):
        return DataverseAuthError(status, message, code, target)
    if 400 <= status < 500 and status not in (408, 429):
        return DataverseValidationError(status, message, code, target)
    return DataverseTransient(status, message, code, target)


def path(entity_set: str, key: str | Mapping[str, Any] | None = None) -> str:
    """``contacts``, ``contacts(<guid>)`` or ``contacts(shop_shopifycustomerid='42')``."""
    if key is None:
        return entity_set
    if isinstance(key, str):
        return f"{entity_set}({uuid.UUID(key)})"
    return entity_set + key_segment(key)


def bind(entity_set: str, key: str | Mapping[str, Any]) -> str:
    """The value of a ``<navigation>@odata.bind`` annotation: ``/salesorders(...)``."""
    return "/" + path(entity_set, key)


@dataclass
class Op:
    """One request of a changeset. ``target`` is an entity path (see :func:`path`) or an action name."""

    method: str
    target: str
    body: dict[str, Any] | None = None
    headers: Mapping[str, str] | None = None


class DataverseClient(ODataClient):
    def __init__(
        self,
        base_url: str,
        token: Any,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(
            base_url.rstrip("/") + API_PATH, token, JSON_HEADERS, transport=transport, policy=policy, timeout=timeout
        )

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> DataverseClient:
        settings.require("DATAVERSE_URL")
        return cls(str(settings.DATAVERSE_URL), token_provider(settings, "DATAVERSE"), **kwargs)

    def classify(self, status: int, payload: Any, target: str) -> IntegrationError:
        return classify(status, payload, target)

    def unanswered(self, message: str, target: str) -> IntegrationError:
        return DataverseTransient(0, message, "", target)

    def _send(
        self,
        method: str,
        target: str,
        *,
        params: Mapping[str, str] | None = None,
        content: str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> httpx.Response:
        """``target`` is relative to the API root; errors name its entity set."""
        return self.request(
            method,
            f"{self.root}/{target}",
            target.split("(", 1)[0],
            params=params,
            content=content,
            headers=headers,
            retry_transport_errors=idempotent,
        )

    # -- reads -------------------------------------------------------------------------------------
    def get(
        self, entity_set: str, key: str | Mapping[str, Any], select: list[str] | None = None
    ) -> dict[str, Any] | None:
        """One row by id or alternate key; None when it does not exist."""
        params = {"$select": ",".join(select)} if select else None
        try:
            return dict(loads(self._send("GET", path(entity_set, key), params=params).content))
        except DataverseNotFound:
            return None

    def query(
        self, entity_set: str, filter: str, select: list[str] | None = None, top: int = 50, private: bool = False
    ) -> list[dict[str, Any]]:
        """Rows matching ``filter`` (first page). ``private``: the filter holds personal data (an e-mail,
        a phone number), so the GET travels inside a ``$batch`` body and the request URL that logs and
        HTTP telemetry record is only ``/$batch``."""
        params = {"$filter": filter, "$top": str(top)}
        if select:
            params["$select"] = ",".join(select)
        if private:
            return self._query_in_batch(entity_set, params)
        data = loads(self._send("GET", entity_set, params=params).content)
        return list(data.get("value", []))

    def _query_in_batch(self, entity_set: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        boundary = f"batch_{uuid.uuid4()}"
        query = urlencode(params, quote_via=quote, safe="$,()=")
        payload = (
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
            f"GET {self.root}/{entity_set}?{query} HTTP/1.1\r\nAccept: application/json\r\n\r\n--{boundary}--\r\n"
        )
        response = self._send(
            "POST",
            "$batch",
            content=payload.encode(),
            headers={"Content-Type": f"multipart/mixed; boundary={boundary}", "Accept": "application/json"},
        )
        results = self._parts(response)
        if len(results) != 1:
            raise DataverseTransient(0, f"$batch answered {len(results)} parts for 1 query", "", entity_set)
        if results[0].status >= 400:
            raise classify(results[0].status, results[0].body, entity_set)
        return list((results[0].body or {}).get("value", []))

    def who_am_i(self) -> dict[str, Any]:
        """``WhoAmI``: the caller's ``UserId`` (the application user), ``BusinessUnitId``, ``OrganizationId``."""
        return dict(loads(self._send("GET", "WhoAmI").content))

    def definitions(self, table: str, part: str, select: list[str]) -> list[dict[str, Any]]:
        """Table metadata: ``EntityDefinitions(LogicalName='<table>')/<part>`` (``Keys``, ``Attributes``)."""
        target = f"EntityDefinitions(LogicalName={odata_literal(table)})/{part}"
        return list(loads(self._send("GET", target, params={"$select": ",".join(select)}).content).get("value", []))

    def _parts(self, response: httpx.Response) -> list[BatchPart]:
        try:
            return parse_batch(response.headers.get("content-type", ""), response.content)
        except ValueError as error:
            raise DataverseTransient(0, str(error), "", "$batch") from None

    # -- writes ------------------------------------------------------------------------------------
    def upsert(
        self,
        entity_set: str,
        key: str | Mapping[str, Any],
        body: Mapping[str, Any],
        *,
        update_only: bool = False,
        create_only: bool = False,
    ) -> str:
        """PATCH by id or alternate key; returns the row's id (from ``OData-EntityId``)."""
        headers = {"If-Match": "*"} if update_only else {"If-None-Match": "*"} if create_only else {}
        response = self._send("PATCH", path(entity_set, key), content=dumps(dict(body)), headers=headers)
        return _entity_id(response.headers.get("OData-EntityId", ""))

    def action(self, name: str, body: Mapping[str, Any]) -> None:
        """An unbound action (``FulfillSalesOrder``, ``CancelSalesOrder``). Not idempotent: a transport
        failure is not resent; the caller re-reads the state instead."""
        self._send("POST", name, content=dumps(dict(body)), idempotent=False)

    def changeset(self, ops: list[Op]) -> list[int]:
        """Run ``ops`` in ONE ``$batch`` changeset (one transaction: all or nothing). Returns the status
        of each op; raises the classified error of the failing op (Dataverse rolls the rest back)."""
        if not ops:
            return []
        if len(ops) > MAX_BATCH:
            raise ValueError(f"a Dataverse $batch holds at most {MAX_BATCH} requests")
        batch, changeset = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
        parts = []
        for index, op in enumerate(ops, start=1):
            extra = "".join(f"{k}: {v}\r\n" for k, v in (op.headers or {}).items())
            body = dumps(op.body) if op.body is not None else ""
            parts.append(
                f"--{changeset}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
                f"Content-ID: {index}\r\n\r\n{op.method} {self.root}/{op.target} HTTP/1.1\r\n"
                f"Content-Type: application/json; type=entry\r\n{extra}\r\n{body}\r\n"
            )
        payload = (
            f"--{batch}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n"
            + "".join(parts)
            + f"--{changeset}--\r\n\r\n--{batch}--\r\n"
        )
        targets = ",".join(sorted({op.target.split("(", 1)[0] for op in ops}))
        response = self._send(
            "POST",
            "$batch",
            content=payload.encode(),
            headers={"Content-Type": f"multipart/mixed; boundary={batch}", "Accept": "application/json"},
        )
        results = self._parts(response)
        for result in results:
            if result.status >= 400:
                raise classify(result.status, result.body, targets)
        if len(results) != len(ops):
            raise DataverseTransient(0, f"$batch answered {len(results)} parts for {len(ops)} requests", "", targets)
        return [result.status for result in results]


def _entity_id(url: str) -> str:
    """The GUID in an ``OData-EntityId`` URL (``.../contacts(00000000-...)``), or "" (alternate-key URL)."""
    inside = url.rsplit("(", 1)[-1].rstrip(")") if "(" in url else ""
    try:
        return str(uuid.UUID(inside))
    except ValueError:
        return ""
