"""``POST /api/data/v9.2/$batch`` (OData 11.7 multipart/mixed), as Dataverse runs it
(learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api):

* at most 1,000 requests per batch;
* a changeset is one transaction: when a request in it fails, everything it did is rolled back and the
  changeset answers with that request's error alone; the batch itself is ``200``;
* ``$<Content-ID>`` refers to a row written earlier in the same changeset, in a URL or in an
  ``@odata.bind`` value;
* requests outside changesets run on their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.emulators.d365.batch import Operation, parse
from sandbox.emulators.dataverse.service import Dataverse
from sandbox.emulators.dataverse.wire import DataverseFault, Reply

MAX_REQUESTS = 1000
Logger = Callable[[str, str, int], None]


def _target(url: str, created: dict[str, str]) -> tuple[str, dict[str, str]]:
    if url.startswith("$"):
        ref, _, rest = url[1:].partition("/")
        if ref not in created:
            raise DataverseFault(400, "0x80048d19", f"Content-ID reference '${ref}' was not found.")
        url = created[ref] + (f"/{rest}" if rest else "")
    parts = urlsplit(url)
    path = unquote(parts.path).split("/api/data/v9.2/")[-1].lstrip("/")
    return path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _part(reply: Reply, content_id: str) -> bytes:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    phrase = HTTPStatus(reply.status).phrase if reply.status in HTTPStatus._value2member_map_ else ""
    lines += ["", f"HTTP/1.1 {reply.status} {phrase}", *(f"{k}: {v}" for k, v in reply.headers.items()), ""]
    return ("\r\n".join(lines) + "\r\n").encode() + reply.body + b"\r\n"


def _run(dv: Dataverse, op: Operation, created: dict[str, str], base: str, log: Logger) -> Reply:
    try:
        path, params = _target(op.url, created)
        reply, canonical = dv.dispatch(op.method, path, params, op.headers, op.body, base, created)
    except DataverseFault as fault:
        reply, canonical, path = fault.reply(), "", op.url
    if op.content_id and canonical:
        created[op.content_id] = canonical
    log(op.method, path, reply.status)
    return reply


def execute(dv: Dataverse, body: bytes, content_type: str, base: str, log: Logger) -> Reply:
    items = parse(body, content_type)
    if sum(len(i) if isinstance(i, list) else 1 for i in items) > MAX_REQUESTS:
        raise DataverseFault(400, "0x80048d19", f"The batch holds more than {MAX_REQUESTS} requests.")
    boundary = f"batchresponse_{uuid.uuid4()}"
    out: list[bytes] = []
    for item in items:
        out.append(f"--{boundary}\r\n".encode())
        if isinstance(item, Operation):
            out.append(_part(_run(dv, item, {}, base, log), item.content_id))
            continue
        cs = f"changesetresponse_{uuid.uuid4()}"
        out.append(f"Content-Type: multipart/mixed; boundary={cs}\r\n\r\n".encode())
        created: dict[str, str] = {}
        snapshot = dv.snapshot()
        replies: list[tuple[Reply, str]] = []
        for op in item:
            reply = _run(dv, op, created, base, log)
            if reply.status >= 400:
                dv.restore(snapshot)
                replies = [(reply, op.content_id)]
                break
            replies.append((reply, op.content_id))
        for reply, content_id in replies:
            out.append(f"--{cs}\r\n".encode() + _part(reply, content_id))
        out.append(f"--{cs}--\r\n".encode())
    out.append(f"--{boundary}--\r\n".encode())
    return Reply(200, b"".join(out), {"Content-Type": f"multipart/mixed; boundary={boundary}", "OData-Version": "4.0"})
