"""Limits checked at the edges, so malformed input gets a 4xx with a reason instead of failing deep
inside (a serializer's recursion limit, a Table key or property over its size) as a 5xx.

Azure Table limits: PartitionKey and RowKey up to 1 KiB each; a string property up to 64 KiB (UTF-16,
so 32 K characters); an entity up to 1 MiB.
"""

from __future__ import annotations

import re
from typing import Any

# Shopify and F&O payloads nest a handful of levels; 64 leaves room and stays far from the
# recursion limits of json/pydantic serializers.
MAX_JSON_DEPTH = 64
# Webhook ids, event ids, F&O document ids: UUIDs or short codes in practice.
MAX_ID_CHARS = 255
TABLE_KEY_MAX_BYTES = 1024
TABLE_PROPERTY_MAX_CHARS = 32 * 1024  # a string property is stored as UTF-16: 64 KiB


def json_depth_exceeds(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``value`` (parsed JSON) nests deeper than ``limit``; iterative, so any depth is safe."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


_SURROGATES = re.compile("[\ud800-\udfff]")


def json_problem(value: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """Why parsed JSON cannot be stored or queued (too deep, or a lone UTF-16 surrogate such as
    ``"\\ud800"``, which no UTF-8 encoder accepts), or None."""
    if json_depth_exceeds(value, limit):
        return f"body nests deeper than {limit} levels"
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATES.search(item):
                return "body contains a lone UTF-16 surrogate (not valid Unicode)"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def bad_id(value: str, name: str, limit: int = MAX_ID_CHARS) -> str | None:
    """A reason when ``value`` is not a usable identifier (too long, or control characters), else None."""
    if len(value) > limit:
        return f"{name} is longer than {limit} characters"
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return f"{name} contains control characters"
    return None


def table_key_too_long(value: str) -> bool:
    # Keys are counted in UTF-16 code units x 2 by the service; measure conservatively.
    return len(value.encode("utf-16-le")) > TABLE_KEY_MAX_BYTES
