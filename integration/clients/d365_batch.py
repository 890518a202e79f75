"""The parts of an F&O ``$batch``: a changeset's operations, the GET parts sent after it (or alone), and
their answers, classified as the same request sent alone would be (``d365_errors.classify``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from integration.clients.d365_errors import D365Error, D365NotFound, D365Transient, classify
from integration.clients.odata import BatchPart, dumps, parse_batch


@dataclass
class BatchOp:
    method: str  # POST | PATCH | DELETE
    entity_set: str
    body: dict[str, Any] | None = None
    key: Mapping[str, Any] | None = None
    etag: str | None = None  # sent as If-Match: the ETag read, so a concurrent change fails the changeset (412)


@dataclass
class BatchRead:
    """A GET sent in the same ``$batch`` after the changeset (outside it: OData runs requests outside
    changesets on their own, in order, so it sees what the changeset committed)."""

    entity_set: str
    key: Mapping[str, Any] | None = None
    filter: str | None = None
    select: list[str] | str | None = None
    expand: str | None = None
    top: int | None = None
    cross_company: bool = False


class BatchResult(BatchPart):
    def error(self, entity_set: str = "") -> D365Error | None:
        """The classified error of a failed part (None when it succeeded)."""
        return classify(self.status, self.body, entity_set, in_batch=True) if self.status >= 400 else None


@dataclass
class ReadResult:
    """The answer to one GET part of :meth:`D365Client.read_batch`: the entity (a keyed read) or every
    row (a collection read), or the error the same GET sent alone would have raised."""

    read: BatchRead
    value: Any = None
    error: D365Error | None = None

    def entity(self) -> dict[str, Any] | None:
        """A keyed read's entity; None when F&O has no such entity; other failures raise."""
        if isinstance(self.error, D365NotFound):
            return None
        if self.error is not None:
            raise self.error
        return dict(self.value or {})

    def rows(self) -> list[dict[str, Any]]:
        """A collection read's rows (all pages); a failed part raises its error."""
        if self.error is not None:
            raise self.error
        return list(self.value or [])


def sets_of(reads: Sequence[BatchRead]) -> str:
    return ",".join(sorted({r.entity_set for r in reads}))


def parse_batch_response(content_type: str, content: bytes) -> list[BatchResult]:
    """The HTTP responses inside a multipart ``$batch`` answer, changesets flattened, in order."""
    try:
        return [BatchResult(part.status, part.body) for part in parse_batch(content_type, content)]
    except ValueError as error:
        raise D365Transient(0, str(error)) from None


def multipart_body(
    operations: Sequence[BatchOp],
    reads: Sequence[BatchRead],
    legal_entity: str,
    target: Callable[[BatchOp], str],
    read_url: Callable[[BatchRead], str],
) -> tuple[str, bytes]:
    """(batch boundary, body) of one ``$batch``: the operations as ONE changeset (Content-IDs 1..n; a POST
    carries the legal entity), then each read as a GET part outside it, in order."""
    batch_boundary, changeset_boundary = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    parts = []
    for index, op in enumerate(operations, start=1):
        body = (
            dumps({"dataAreaId": legal_entity, **op.body})
            if op.body is not None and op.method == "POST"
            else (dumps(op.body) if op.body is not None else "")
        )
        parts.append(
            f"--{changeset_boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: {index}\r\n\r\n{op.method} {target(op)} HTTP/1.1\r\nOData-Version: 4.0\r\n"
            + (f"If-Match: {op.etag}\r\n" if op.etag else "")
            + f"Content-Type: application/json;odata.metadata=minimal\r\nAccept: application/json\r\n\r\n{body}\r\n"
        )
    payload = ""
    if operations:
        changeset = "".join(parts) + f"--{changeset_boundary}--\r\n"
        payload += (
            f"--{batch_boundary}\r\nContent-Type: multipart/mixed; boundary={changeset_boundary}\r\n\r\n{changeset}\r\n"
        )
    for read in reads:
        payload += (
            f"--{batch_boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            f"\r\nGET {read_url(read)} HTTP/1.1\r\nOData-Version: 4.0\r\n"
            f"Accept: application/json;odata.metadata=minimal\r\n\r\n"
        )
    payload += f"--{batch_boundary}--\r\n"
    return batch_boundary, payload.encode()
