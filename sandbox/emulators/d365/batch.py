"""``POST /data/$batch``: multipart/mixed with changesets, in the wire format of the public
SmartTalks samples (``sandbox/samples/d365/smarttalks__batch_*.http.txt``).

* A changeset is all-or-nothing: its operations run inside :meth:`Store.transaction`; when one
  fails, everything the changeset did is undone and the changeset answers with a **single** part
  ``HTTP/1.1 500 Internal Server Error`` carrying the error JSON (a 400 validation error becomes
  500 there, as in the sample), while the outer response stays ``200 OK``. Other failures (404,
  412) keep their status.
* Requests outside changesets (typically GETs) run on their own and answer in their own part.
* Processing stops at the first failed part (a failed changeset, or a request outside changesets
  answering 4xx/5xx): the parts after it are not run and not answered, unless the request says
  ``Prefer: odata.continue-on-error`` (OData v4 §8.2.8.3; stop-on-error is the default of the
  Microsoft OData WebAPI stack F&O's ``/data`` runs on, since 5.7).
* A changeset holds only modifications (OData v4 §11.4.9.2): a GET inside one makes the whole
  ``$batch`` a 400 with ODataLib's message, as the real reader refuses it before running anything.
* ``Content-ID`` is echoed; ``$<id>`` at the start of a later URL in the same changeset refers to
  the entity the operation with that Content-ID created.
* At most ``max_batch_operations`` (5,000) operations per batch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.emulators.d365.entities import entity_sets
from sandbox.emulators.d365.service import ODataService, entity_path
from sandbox.emulators.d365.wire import ODATA_EXCEPTION, ODataError, Reply, loads

Logger = Callable[[str, str, int], None]


@dataclass
class Operation:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    content_id: str


class _ChangesetFailed(Exception):
    def __init__(self, reply: Reply, content_id: str) -> None:
        super().__init__(reply.status)
        self.reply = reply
        self.content_id = content_id


def _boundary(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary":
            return value.strip().strip('"')
    raise ODataError(
        400, "The batch request must have a multipart/mixed Content-Type with a boundary.", error_type=ODATA_EXCEPTION
    )


def _split_parts(body: bytes, boundary: str) -> list[bytes]:
    parts = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk[1:] if chunk.startswith(b"\n") else chunk
        parts.append(chunk)
    return parts


def _head_and_body(data: bytes) -> tuple[list[str], bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        if sep in data:
            head, body = data.split(sep, 1)
            return head.decode("utf-8").splitlines(), body
    return data.decode("utf-8").splitlines(), b""


def _headers(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip().lower()] = value.strip()
    return out


def _operation(part: bytes) -> Operation:
    head, inner = _head_and_body(part)
    part_headers = _headers(head)
    request_lines, body = _head_and_body(inner)
    if not request_lines:
        raise ODataError(400, "An empty request was found in the batch.", error_type=ODATA_EXCEPTION)
    method, url, *_ = [*request_lines[0].split(" "), "", ""]
    return Operation(method.upper(), url, _headers(request_lines[1:]), body.strip(), part_headers.get("content-id", ""))


def parse(body: bytes, content_type: str) -> list[Operation | list[Operation]]:
    """Top-level items: an Operation, or a list of Operations for a changeset."""
    items: list[Operation | list[Operation]] = []
    for part in _split_parts(body, _boundary(content_type)):
        head, inner = _head_and_body(part)
        part_type = _headers(head).get("content-type", "")
        if part_type.lower().startswith("multipart/mixed"):
            items.append([_operation(p) for p in _split_parts(inner, _boundary(part_type))])
        else:
            items.append(_operation(part))
    return items


def _path_and_params(url: str, created: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    if url.startswith("$"):
        ref, _, rest = url[1:].partition("/")
        if ref not in created:
            raise ODataError(400, f"The Content-ID '{ref}' was not found in the changeset.", error_type=ODATA_EXCEPTION)
        url = created[ref] + (f"/{rest}" if rest else "")
    parts = urlsplit(url)
    path = unquote(parts.path)
    if path.startswith("/"):
        path = path[1:]
    if path.startswith("data/"):
        path = path[5:]
    return path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _status_line(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {status} {phrase}"


def _part(reply: Reply, content_id: str) -> bytes:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", _status_line(reply.status)]
    lines += [f"{k}: {v}" for k, v in reply.headers.items()]
    lines.append("")
    return ("\r\n".join(lines) + "\r\n").encode() + reply.body + b"\r\n"


def _run(service: ODataService, op: Operation, created: dict[str, str], base: str, log: Logger) -> Reply:
    path, params = _path_and_params(op.url, created)
    reply = service.handle(op.method, path, params, op.headers, op.body, base)
    log(op.method, path, reply.status)
    if op.content_id and reply.status == 201 and op.method == "POST":
        es = entity_sets().get(path.split("(")[0].split("/")[0])
        if es is not None:
            row = loads(reply.body)
            created[op.content_id] = entity_path(es, row)
    return reply


CHANGESET_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def execute(service: ODataService, body: bytes, content_type: str, base: str, log: Logger, prefer: str = "") -> Reply:
    items = parse(body, content_type)
    for item in items:
        for op in item if isinstance(item, list) else []:
            if op.method not in CHANGESET_METHODS:
                message = (
                    f"An invalid HTTP method '{op.method}' was detected for a request in a change set. Requests in "
                    "change sets only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'."
                )
                raise ODataError(400, message, message=message, error_type=ODATA_EXCEPTION)
    continue_on_error = any(  # "odata.continue-on-error" or "=true"; "=false" asks for the default
        p.strip().replace(" ", "") in ("odata.continue-on-error", "odata.continue-on-error=true")
        for p in prefer.lower().split(",")
    )
    count = sum(len(i) if isinstance(i, list) else 1 for i in items)
    limit = service.env.config.max_batch_operations
    if count > limit:
        raise ODataError(
            400,
            f"A maximum number of '{limit}' operations are allowed in a change set.",
            message=f"A maximum number of '{limit}' operations are allowed in a change set.",
            error_type=ODATA_EXCEPTION,
        )
    batch_boundary = f"batchresponse_{uuid.uuid4()}"
    out: list[bytes] = []
    for item in items:
        out.append(f"--{batch_boundary}\r\n".encode())
        if isinstance(item, Operation):
            reply = _run(service, item, {}, base, log)
            out.append(_part(reply, item.content_id))
            if reply.status >= 400 and not continue_on_error:
                break
            continue
        cs_boundary = f"changesetresponse_{uuid.uuid4()}"
        out.append(f"Content-Type: multipart/mixed; boundary={cs_boundary}\r\n\r\n".encode())
        created: dict[str, str] = {}
        replies: list[tuple[Reply, str]] = []
        try:
            with service.env.store.transaction():
                for op in item:
                    reply = _run(service, op, created, base, log)
                    if reply.status >= 400:
                        raise _ChangesetFailed(reply, op.content_id)
                    replies.append((reply, op.content_id))
        except _ChangesetFailed as failed:
            status = 500 if failed.reply.status == 400 else failed.reply.status
            error = Reply(
                status,
                failed.reply.body,
                {"Content-Type": "application/json; odata.metadata=minimal; charset=utf-8", "OData-Version": "4.0"},
            )
            replies = [(error, failed.content_id)]
        for reply, content_id in replies:
            out.append(f"--{cs_boundary}\r\n".encode())
            out.append(_part(reply, content_id))
        out.append(f"--{cs_boundary}--\r\n".encode())
        if replies and replies[0][0].status >= 400 and not continue_on_error:
            break
    out.append(f"--{batch_boundary}--\r\n".encode())
    headers = {"Content-Type": f"multipart/mixed; boundary={batch_boundary}", "OData-Version": "4.0"}
    if continue_on_error:
        headers["Preference-Applied"] = "odata.continue-on-error"
    return Reply(200, b"".join(out), headers)
