"""$select, $orderby and one-level $expand (with nested options), as F&O supports them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.emulators.d365.entities import NAMESPACE, EntitySet
from sandbox.emulators.d365.wire import query_error


def parse_orderby(text: str, entity: EntitySet) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for part in text.split(","):
        bits = part.split()
        if not bits or len(bits) > 2 or (len(bits) == 2 and bits[1] not in ("asc", "desc")):
            raise query_error(f"Syntax error in $orderby '{text}'.")
        _require_field(entity, bits[0])
        out.append((bits[0], len(bits) == 2 and bits[1] == "desc"))
    return out


def sort_key(value: Any) -> Any:
    if isinstance(value, str):
        return (0, value.casefold())
    if isinstance(value, datetime):
        return (0, value.timestamp())
    return (0, value)


def parse_select(text: str, entity: EntitySet) -> list[str] | None:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or "*" in names:
        return None
    for n in names:
        if n not in entity.navigations:
            _require_field(entity, n)
    return names


def _require_field(entity: EntitySet, name: str) -> None:
    if entity.field(name) is None:
        raise query_error(f"Could not find a property named '{name}' on type '{NAMESPACE}.{entity.type_name}'.")


def split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and quotes."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, False
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == sep and depth == 0 and not quote:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_expand(text: str, entity: EntitySet) -> dict[str, dict[str, str]]:
    """``Nav($select=a,b;$filter=...)`` -> {"Nav": {"$select": "a,b", "$filter": "..."}}."""
    out: dict[str, dict[str, str]] = {}
    for part in split_top_level(text, ","):
        name, _, rest = part.partition("(")
        name = name.strip()
        if name not in entity.navigations:
            raise query_error(f"Could not find a property named '{name}' on type '{NAMESPACE}.{entity.type_name}'.")
        options: dict[str, str] = {}
        if rest:
            if not rest.endswith(")"):
                raise query_error(f"')' expected in $expand '{text}'.")
            for opt in split_top_level(rest[:-1], ";"):
                key, _, value = opt.partition("=")
                if key.strip() == "$expand":
                    raise query_error("Only first-level expansion is supported.")
                options[key.strip()] = value
        out[name] = options
    return out
