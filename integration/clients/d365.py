"""Dynamics 365 Finance & Operations OData client.

Owns auth (static token for the local emulator, client secret, or managed identity through
azure-identity), the legal entity (``dataAreaId``), retries (``shared.http``), paging through
``@odata.nextLink``, one-changeset ``$batch`` and error classification. F&O puts the useful text of
an error in ``error.innererror.message`` ("Write failed for table row of type ... Infolog: ..."),
and answers a failed write inside a ``$batch`` changeset with an inner ``500``: both are read here
so callers see one typed error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from integration.clients.d365_batch import (
    BatchOp,
    BatchRead,
    BatchResult,
    ReadResult,
    multipart_body,
    parse_batch_response,
    sets_of,
)
from integration.clients.d365_errors import (
    D365AlreadyExists,
    D365AuthError,
    D365Error,
    D365NotFound,
    D365PreconditionFailed,
    D365Transient,
    D365ValidationError,
    classify,
)
from integration.clients.odata import (
    ODataClient,
    TokenProvider,
    dumps,
    key_segment,
    loads,
    odata_literal,
    token_provider,
)
from integration.errors import IntegrationError
from shared.http import DEFAULT_TIMEOUT, RetryPolicy
from shared.settings import Settings

# Re-exported: the flows build filters, keys and batches with these, and catch these errors, through this
# module (their homes: odata.py, d365_batch.py, d365_errors.py).
__all__ = [
    "BatchOp",
    "BatchRead",
    "BatchResult",
    "D365AlreadyExists",
    "D365AuthError",
    "D365Client",
    "D365Error",
    "D365NotFound",
    "D365PreconditionFailed",
    "D365Transient",
    "D365ValidationError",
    "ReadResult",
    "TokenProvider",
    "classify",
    "dumps",
    "key_segment",
    "loads",
    "odata_literal",
    "parse_batch_response",
]

JSON_HEADERS = {
    "OData-Version": "4.0",
    "OData-MaxVersion": "4.0",
    "Accept": "application/json;odata.metadata=minimal",
    "Content-Type": "application/json;odata.metadata=minimal",
}


# Shared (global) entities have no dataAreaId (reference d365.md §1.3); everything else the app
# touches is company-specific.
GLOBAL_ENTITY_SETS = frozenset(
    {
        "Currencies",
        "LegalEntities",
        "AddressCountryRegions",
        "ProductsV2",
        "ProductTranslations",
        "SequenceV2Tables",
        "NumberSequencesV2References",
    }
)


class D365Client(ODataClient):
    def __init__(
        self,
        base_url: str,
        legal_entity: str,
        token: TokenProvider,
        *,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(
            base_url.rstrip("/") + "/data", token, JSON_HEADERS, transport=transport, policy=policy, timeout=timeout
        )
        self.legal_entity = legal_entity

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> D365Client:
        settings.require("D365_URL", "D365_LEGAL_ENTITY")
        return cls(str(settings.D365_URL), settings.D365_LEGAL_ENTITY, token_provider(settings, "D365"), **kwargs)

    def classify(self, status: int, payload: Any, target: str) -> IntegrationError:
        return classify(status, payload, target)

    def unanswered(self, message: str, target: str) -> IntegrationError:
        return D365Transient(0, message, target)

    def _key(self, key: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = {"dataAreaId": self.legal_entity}
        merged.update(key or {})
        return merged

    # -- reads -------------------------------------------------------------------------------------
    def company_filter(self, expression: str | None = None) -> str:
        """``dataAreaId eq '<legal entity>'``, and-ed with ``expression`` when given."""
        term = f"dataAreaId eq {odata_literal(self.legal_entity)}"
        return f"{term} and ({expression})" if expression else term

    def _scoped(self, entity_set: str, filter: str | None, keyed: bool) -> tuple[str | None, bool]:
        """Company safety: F&O answers only the integration user's *default* company unless the
        request says ``cross-company=true`` (reference d365.md §1.3). So every read of a
        company-specific entity names the legal entity (the key carries ``dataAreaId``; a collection
        read gets ``dataAreaId eq '<legal entity>'`` unless its filter already names one) and is sent
        cross-company, which makes it independent of that user's default company."""
        if entity_set.split("(")[0] in GLOBAL_ENTITY_SETS:
            return filter, False
        if keyed or (filter and "dataAreaId" in filter):
            return filter, True
        return self.company_filter(filter), True

    def _params(
        self,
        filter: str | None,
        select: list[str] | str | None,
        expand: str | None,
        top: int | None,
        orderby: str | None,
        cross_company: bool,
        count: bool = False,
    ) -> dict[str, str]:
        params: dict[str, str] = {}
        if filter:
            params["$filter"] = filter
        if select:
            params["$select"] = select if isinstance(select, str) else ",".join(select)
        if expand:
            params["$expand"] = expand
        if top is not None:
            params["$top"] = str(top)
        if orderby:
            params["$orderby"] = orderby
        if cross_company:
            params["cross-company"] = "true"
        if count:
            params["$count"] = "true"
        return params

    def get(
        self,
        entity_set: str,
        key: Mapping[str, Any] | None = None,
        *,
        filter: str | None = None,
        select: list[str] | str | None = None,
        expand: str | None = None,
        top: int | None = None,
        orderby: str | None = None,
        cross_company: bool = False,
    ) -> Any:
        """One entity by key (``dataAreaId`` added), or the first page of a collection (a list)."""
        filter, scoped = self._scoped(entity_set, filter, key is not None)
        params = self._params(filter, select, expand, top, orderby, cross_company or scoped)
        if key is not None:
            url = f"{self.root}/{entity_set}{key_segment(self._key(key))}"
            return loads(self.request("GET", url, entity_set, params=params).content)
        data = loads(self.request("GET", f"{self.root}/{entity_set}", entity_set, params=params).content)
        return data.get("value", [])

    def query(
        self,
        entity_set: str,
        *,
        filter: str | None = None,
        select: list[str] | str | None = None,
        expand: str | None = None,
        top: int | None = None,
        orderby: str | None = None,
        cross_company: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Every matching entity, following ``@odata.nextLink`` page by page."""
        url: str | None = f"{self.root}/{entity_set}"
        filter, scoped = self._scoped(entity_set, filter, False)
        params: Mapping[str, str] | None = self._params(filter, select, expand, top, orderby, cross_company or scoped)
        while url:
            data = loads(self.request("GET", url, entity_set, params=params).content)
            yield from data.get("value", [])
            url, params = data.get("@odata.nextLink"), None

    def find(self, entity_set: str, filter: str, select: list[str] | str | None = None) -> dict[str, Any] | None:
        rows = self.get(entity_set, filter=filter, select=select, top=1)
        return rows[0] if rows else None

    # -- writes ------------------------------------------------------------------------------------
    def create(self, entity_set: str, body: Mapping[str, Any]) -> dict[str, Any]:
        payload = {"dataAreaId": self.legal_entity, **body}
        response = self.request("POST", f"{self.root}/{entity_set}", entity_set, content=dumps(payload))
        return loads(response.content) if response.content else {}

    def _keyed_url(self, entity_set: str, key: Mapping[str, Any]) -> str:
        """By key for another company than the user's default needs ``cross-company=true`` (§1.3)."""
        url = f"{self.root}/{entity_set}{key_segment(self._key(key))}"
        return url if entity_set in GLOBAL_ENTITY_SETS else f"{url}?cross-company=true"

    def update(
        self,
        entity_set: str,
        key: Mapping[str, Any],
        body: Mapping[str, Any],
        etag: str | None = None,
        retry_unknown: bool = True,
    ) -> None:
        """PATCH ``body``. ``retry_unknown=False`` sends it once more only after a 429: after a 5xx or a
        dropped connection the write may have happened, and with ``If-Match`` a resend would answer 412
        for this very write (the caller must find out what happened instead: :class:`D365Transient`)."""
        headers = {"If-Match": etag} if etag else None
        self.request(
            "PATCH",
            self._keyed_url(entity_set, key),
            entity_set,
            content=dumps(body),
            headers=headers,
            retry_transport_errors=retry_unknown,
        )

    def call_service(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST to a custom service's JSON endpoint ``/api/services/<group>/<service>/<operation>``
        (Microsoft: "Custom service development"). Sent once: after a 5xx or a dropped connection the
        operation may have run, so the caller re-reads the state it changed instead of resending."""
        url = f"{self.root.removesuffix('/data')}/api/services/{path.strip('/')}"
        response = self.request("POST", url, path, content=dumps(body), retry_transport_errors=False)
        return loads(response.content) if response.content else None

    def delete(self, entity_set: str, key: Mapping[str, Any], etag: str | None = None) -> None:
        headers = {"If-Match": etag} if etag else None
        self.request("DELETE", self._keyed_url(entity_set, key), entity_set, headers=headers)

    def batch(self, operations: list[BatchOp], reads: Sequence[BatchRead] = ()) -> list[BatchResult]:
        """Run ``operations`` as ONE changeset: all applied or none. Raises the classified error of the
        failing operation (F&O answers the batch 200 with an inner 500 for a failed changeset).

        ``reads`` are GET parts sent after the changeset in the same HTTP request (one round trip
        for "write, then read what F&O computed"). Their results follow the changeset's, one per
        read, in order; a failed read is returned, not raised (``BatchResult.error()``), because the
        changeset before it was committed and the caller decides what a missing read means.
        """
        error, written, read_back = self._send_batch(operations, reads)
        if error is not None:
            raise error
        if len(read_back) < len(reads):
            raise D365Transient(0, f"$batch answered {len(read_back)} parts for {len(reads)} reads", sets_of(reads))
        return [*written, *read_back]

    def read_batch(self, reads: Sequence[BatchRead]) -> list[ReadResult]:
        """Every read in ONE ``$batch`` of GET parts (requests outside changesets: each answers in its
        own part). One result per read, in order, each checked like a single GET: a failed part holds
        the error :meth:`get` would have raised. A collection part cut by server paging
        (``@odata.nextLink``) is completed with ordinary GETs, page by page (rare: F&O pages at 10,000).

        OData stops processing a batch at its first failed part unless the client prefers
        ``odata.continue-on-error`` (OData WebAPI's default since 5.7): reads after a failed part come
        back unanswered, as a :class:`D365Transient`, so prefer collection reads (an empty ``value``)
        to keyed reads that may answer 404."""
        _, _, parts = self._send_batch([], reads)
        return self.read_results(reads, parts)

    def batch_then_read(
        self, operations: list[BatchOp], reads: Sequence[BatchRead]
    ) -> tuple[D365Error | None, list[ReadResult]]:
        """One changeset, then ``reads`` as GET parts in the same HTTP request. The changeset's error
        is returned, not raised: a caller whose keys are deterministic reads "already exists" as "an
        earlier attempt wrote it". After a failed changeset F&O stops the batch (see
        :meth:`read_batch`), so the reads then come back unanswered (``D365Transient`` each)."""
        error, _, parts = self._send_batch(operations, reads)
        return error, self.read_results(reads, parts)

    def read_results(self, reads: Sequence[BatchRead], parts: Sequence[BatchResult]) -> list[ReadResult]:
        out: list[ReadResult] = []
        stopped = ""
        stopper: D365Error | None = None
        for index, read in enumerate(reads):
            if index >= len(parts):
                # Unanswered because an earlier part failed: that failure is what a caller must see (a
                # permanent one stays permanent, not "try again"); after a 404 or a transient failure the
                # part's own answer is unknown, so it is transient.
                if stopper is not None and not isinstance(stopper, (D365NotFound, D365Transient)):
                    out.append(ReadResult(read, error=stopper))
                    continue
                message = f"not answered: the $batch stopped after {stopped or 'an earlier failure'}"
                out.append(ReadResult(read, error=D365Transient(0, message, read.entity_set)))
                continue
            part = parts[index]
            if part.status >= 400:
                stopped = f"a {part.status} on {read.entity_set}"
                stopper = classify(part.status, part.body, read.entity_set)
                out.append(ReadResult(read, error=stopper))
                continue
            body = part.body if isinstance(part.body, dict) else {}
            if read.key is not None:
                out.append(ReadResult(read, body))
                continue
            rows = list(body.get("value", []))
            next_link = body.get("@odata.nextLink")
            while next_link:  # server paging: the next pages are ordinary GETs
                page = loads(self.request("GET", str(next_link), read.entity_set).content)
                rows.extend(page.get("value", []))
                next_link = page.get("@odata.nextLink")
            out.append(ReadResult(read, rows))
        return out

    def _send_batch(
        self, operations: list[BatchOp], reads: Sequence[BatchRead]
    ) -> tuple[D365Error | None, list[BatchResult], list[BatchResult]]:
        """POST one ``$batch``: the changeset's error (None when it committed or there is none), its
        parts, and the parts answering ``reads`` (fewer than asked when F&O stopped the batch)."""
        if not operations and not reads:
            return None, [], []
        if len(operations) + len(reads) > 5000:
            raise ValueError("an F&O batch holds at most 5000 operations")
        batch_boundary, payload = multipart_body(operations, reads, self.legal_entity, self._op_url, self._read_url)
        entity_sets = ",".join(sorted({op.entity_set for op in operations} | {r.entity_set for r in reads}))
        response = self.request(
            "POST",
            f"{self.root}/$batch",
            entity_sets,
            content=payload,
            headers={"Content-Type": f"multipart/mixed; boundary={batch_boundary}", "Accept": "multipart/mixed"},
        )
        results = parse_batch_response(response.headers.get("content-type", ""), response.content)
        if not operations:
            return None, [], results
        # A committed changeset answers one part per operation; a failed one a single error part.
        failed = next((r for r in results[: len(operations)] if r.status >= 400), None)
        if failed is not None:
            error = classify(failed.status, failed.body, entity_sets, in_batch=True)
            after = len(results) - len(reads)  # reads answered only when F&O went on after the failure
            return error, [], results[after:] if reads and after >= 1 else []
        if len(results) < len(operations):
            raise D365Transient(
                0, f"$batch answered {len(results)} parts for {len(operations)} operations", entity_sets
            )
        return None, results[: len(operations)], results[len(operations) :]

    def _op_url(self, op: BatchOp) -> str:
        return self._keyed_url(op.entity_set, op.key) if op.key is not None else f"{self.root}/{op.entity_set}"

    def _read_url(self, read: BatchRead) -> str:
        url = f"{self.root}/{read.entity_set}"
        if read.key is not None:
            url += key_segment(self._key(read.key))
        filter, scoped = self._scoped(read.entity_set, read.filter, read.key is not None)
        params = self._params(filter, read.select, read.expand, read.top, None, read.cross_company or scoped)
        # Encoded like httpx encodes a query: a request line cannot carry spaces.
        return f"{url}?{urlencode(params, quote_via=quote, safe='$,()=')}" if params else url
