"""JSON on the wire, as Shopify writes it: compact UTF-8, Decimal amounts as exact JSON numbers."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from starlette.responses import Response

# Shopify sends a few amounts (``refund_line_items[].subtotal``) as JSON numbers. The emulator keeps
# them as Decimal, writes a marker string and swaps the marker for the Decimal's exact text, so no
# amount ever passes through a float.
_MARK = "\u0000decimal:"
_MARKED = re.compile(r'"\\u0000decimal:(-?[0-9]+(?:\.[0-9]+)?)"')


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_MARK}{value:f}"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(v) for v in value]
    return value


def dumps(data: Any) -> bytes:
    text = json.dumps(_mark(data), ensure_ascii=False, separators=(",", ":"))
    return _MARKED.sub(r"\1", text).encode()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, headers=headers, media_type="application/json")
