"""Trigger data and results in the protocol's ``TypedData``, shaped as the real host sends and reads them.

- HTTP: ``RpcHttp`` with the method, the full URL, lower-cased headers and query (repeated values
  joined with a comma, empty query values dropped), route parameters in ``params``, and the body as
  bytes when the request has a Content-Length above zero (the worker asks for ``RawHttpBodyBytes``).
- Queue: the message text as ``string`` (``bytes`` for ``dataType: binary``) and trigger metadata
  ``Id``, ``PopReceipt`` and ``QueueTrigger`` as strings, ``DequeueCount`` and the times as JSON.
- Timer: ``TimerInfo`` as JSON (``Schedule``, ``ScheduleStatus``, ``IsPastDue``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from starlette.responses import Response

from sandbox.host.rpc import protos


def _joined(pairs: list[tuple[str, str]], lower: bool) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for key, value in pairs:
        merged.setdefault(key.lower() if lower else key, []).append(value)
    return {key: ",".join(values) for key, values in merged.items()}


def http_request(
    method: str,
    url: str,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    route_params: Mapping[str, str | None],
    body: bytes,
) -> Any:
    header_map = _joined(headers, lower=True)
    http = protos.RpcHttp(
        method=method,
        url=url,
        headers=header_map,
        query={k: v for k, v in _joined(query, lower=False).items() if v},
        params={k: v for k, v in route_params.items() if v is not None},
    )
    length = header_map.get("content-length", "")
    if length.isdigit() and int(length) > 0:
        http.body.CopyFrom(protos.TypedData(bytes=body))
    return protos.TypedData(http=http)


def _body_bytes(data: Any) -> tuple[bytes, str | None]:
    """Response body bytes and the content type the host would give them."""
    kind = data.WhichOneof("data") if data is not None else None
    if kind in ("bytes", "stream"):
        return getattr(data, kind), "application/octet-stream"
    if kind == "string":
        return data.string.encode(), "text/plain; charset=utf-8"
    if kind == "json":
        return data.json.encode(), "application/json; charset=utf-8"
    if kind in ("int", "double"):
        return str(getattr(data, kind)).encode(), "text/plain; charset=utf-8"
    return b"", None


def _cookie(cookie: Any) -> str:
    parts = [f"{cookie.name}={cookie.value}"]
    if cookie.HasField("domain"):
        parts.append(f"domain={cookie.domain.value}")
    if cookie.HasField("path"):
        parts.append(f"path={cookie.path.value}")
    if cookie.HasField("expires"):
        moment = datetime.fromtimestamp(cookie.expires.value.seconds, UTC)
        parts.append(f"expires={format_datetime(moment, usegmt=True)}")
    if cookie.HasField("max_age"):
        parts.append(f"max-age={int(cookie.max_age.value)}")
    if cookie.HasField("secure") and cookie.secure.value:
        parts.append("secure")
    if cookie.HasField("http_only") and cookie.http_only.value:
        parts.append("httponly")
    same_site = {1: "lax", 2: "strict", 3: "none"}.get(cookie.same_site)
    if same_site:
        parts.append(f"samesite={same_site}")
    return "; ".join(parts)


def http_response(value: Any) -> Response:
    """The HTTP answer for an invocation's ``$return`` (``RpcHttp``, or a plain value)."""
    if value is None or value.WhichOneof("data") is None:
        return Response(status_code=204)
    if value.WhichOneof("data") != "http":
        body, media_type = _body_bytes(value)
        return Response(content=body, status_code=200, media_type=media_type)
    http = value.http
    body, default_type = _body_bytes(http.body if http.HasField("body") else None)
    headers = {k: v for k, v in http.headers.items() if k.lower() != "content-length"}
    if default_type and not any(k.lower() == "content-type" for k in headers):
        headers["content-type"] = default_type
    response = Response(content=body, status_code=int(http.status_code or 200), headers=headers)
    for cookie in http.cookies:
        response.raw_headers.append((b"set-cookie", _cookie(cookie).encode("latin-1")))
    return response


def _json_date(moment: datetime | None) -> Any:
    return protos.TypedData(json=json.dumps(moment.isoformat() if moment else None))


def queue_trigger(message: Any, body: bytes, data_type: str | None) -> tuple[Any, dict[str, Any]]:
    """(input data, trigger metadata) for a received queue message (azure.storage.queue model)."""
    text = body.decode("utf-8", errors="replace")
    data = protos.TypedData(bytes=body) if (data_type or "").lower() == "binary" else protos.TypedData(string=text)
    metadata = {
        "QueueTrigger": protos.TypedData(string=text),
        "DequeueCount": protos.TypedData(json=json.dumps(message.dequeue_count)),
        "Id": protos.TypedData(string=message.id),
        "PopReceipt": protos.TypedData(string=message.pop_receipt or ""),
        "InsertionTime": _json_date(message.inserted_on),
        "ExpirationTime": _json_date(message.expires_on),
        "NextVisibleTime": _json_date(message.next_visible_on),
    }
    return data, metadata


def admin_queue_input(text: str) -> tuple[Any, dict[str, Any]]:
    """A queue function run through ``POST /admin/functions/<name>``: the input string is the message."""
    return protos.TypedData(string=text), {
        "QueueTrigger": protos.TypedData(string=text),
        "DequeueCount": protos.TypedData(json="1"),
    }


def timer_info(past_due: bool, schedule_status: dict[str, str] | None) -> Any:
    info = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": schedule_status, "IsPastDue": past_due}
    return protos.TypedData(json=json.dumps(info))


def _message_text(item: Any) -> bytes:
    if isinstance(item, str):
        return item.encode()
    return json.dumps(item, separators=(",", ":")).encode()


def output_messages(value: Any) -> list[bytes]:
    """The messages a queue output binding writes for one ``TypedData`` value: one per array item."""
    kind = value.WhichOneof("data")
    if kind == "string":
        return [value.string.encode()]
    if kind in ("bytes", "stream"):
        return [getattr(value, kind)]
    if kind == "json":
        parsed = json.loads(value.json)
        if isinstance(parsed, list):
            return [_message_text(item) for item in parsed]
        return [value.json.encode()] if isinstance(parsed, dict) else [_message_text(parsed)]
    if kind == "collection_string":
        return [s.encode() for s in value.collection_string.string]
    if kind == "collection_bytes":
        return list(value.collection_bytes.bytes)
    if kind in ("int", "double"):
        return [str(getattr(value, kind)).encode()]
    return []
