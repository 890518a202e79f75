"""Replies in Dataverse's shapes: JSON with exact decimals and the ``{"error": {"code", "message"}}``
envelope (learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.emulators.d365.wire import dumps as _dumps
from sandbox.emulators.d365.wire import loads as _loads

JSON = "application/json; odata.metadata=minimal; charset=utf-8"


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class DataverseFault(Exception):
    """An error the emulator answers with Dataverse's envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def reply(self) -> Reply:
        body = {"error": {"code": self.code, "message": self.message}}
        return Reply(self.status, dumps(body).encode(), {"Content-Type": JSON, "OData-Version": "4.0"})


def dumps(value: Any) -> str:
    return _dumps(value)


def loads(body: bytes | str) -> Any:
    """Numbers stay exact; integers come back as int (Dataverse's Edm.Int32 choices)."""
    value = _loads(body)
    return _ints(value)


def _ints(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    if isinstance(value, Decimal) and value == value.to_integral_value() and "." not in str(value):
        return int(value)
    return value


def json_reply(status: int, value: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, dumps(value).encode(), {"Content-Type": JSON, "OData-Version": "4.0", **(headers or {})})
