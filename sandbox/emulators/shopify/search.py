"""Shopify search syntax (``updated_at:>='2025-01-01T00:00:00Z' status:open``, ``sku:A OR sku:B``)
and Relay cursor pagination (``first/after``, ``last/before``, ``pageInfo``).
"""

from __future__ import annotations

import base64
import contextvars
import json
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from sandbox.emulators.shopify.store import to_utc

MAX_PAGE = 250
_TERM = re.compile(r"^(?P<neg>-)?(?P<field>[a-z_]+):(?P<op>>=|<=|>|<|=)?(?P<value>.*)$")
DATE_FIELDS = frozenset({"updated_at", "created_at", "processed_at"})


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str
    negate: bool = False


def parse_query(query: str | None) -> list[list[Term]]:
    """Alternatives (``OR``) of conjunctions of terms. Free text without ``field:`` is ignored."""
    if not query or not query.strip():
        return [[]]
    try:
        tokens = shlex.split(query)
    except ValueError:
        tokens = query.split()
    groups: list[list[Term]] = [[]]
    for token in tokens:
        if token == "OR":
            groups.append([])
            continue
        match = _TERM.match(token)
        if token == "AND" or match is None:
            continue
        value = match["value"].strip("'\"")
        groups[-1].append(Term(match["field"], match["op"] or "=", value, bool(match["neg"])))
    return groups


def _normalise(field: str, value: Any) -> Any:
    if field in DATE_FIELDS:
        text = str(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            text += "T00:00:00Z"
        return to_utc(text)
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.isdigit() else text.lower()


def _compare(actual: Any, term: Term) -> bool:
    if actual is None:
        return False
    wanted = _normalise(term.field, term.value)
    if type(actual) is not type(wanted):
        actual, wanted = str(actual), str(wanted)
    if term.op == "=":
        if term.field in DATE_FIELDS and len(term.value) == 10:
            return str(actual).startswith(term.value)
        return actual == wanted
    return {">": actual > wanted, ">=": actual >= wanted, "<": actual < wanted, "<=": actual <= wanted}[term.op]


def matches(groups: list[list[Term]], lookup: Callable[[str], Any], known: frozenset[str]) -> bool:
    """True when any OR-group has all its (known-field) terms satisfied. ``lookup`` may return a
    list (e.g. tags): then one matching element is enough."""
    for group in groups:
        ok = True
        for term in group:
            if term.field not in known:
                continue  # Shopify ignores unknown search fields
            value = lookup(term.field)
            values = value if isinstance(value, list) else [value]
            hit = any(_compare(_normalise(term.field, v) if v is not None else None, term) for v in values)
            if hit == term.negate:
                ok = False
                break
        if ok:
            return True
    return False


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, ...]:
    try:
        return tuple(json.loads(base64.urlsafe_b64decode(cursor.encode())))
    except (ValueError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from None


# True while a bulk query runs (sandbox/emulators/shopify/bulk_query.py): connections return every item.
UNBOUNDED: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_unbounded", default=False)


def paginate(
    items: list[Any], args: dict[str, Any], key: Callable[[Any], tuple[Any, ...]], reverse: bool = False
) -> dict[str, Any]:
    """A Relay connection over ``items`` sorted by ``key`` (cursors are the encoded keys, so a page
    stays correct when items are added or removed between requests)."""
    unbounded = UNBOUNDED.get()  # inside a bulk query: every item, whatever the pagination arguments
    if unbounded:
        args = {}
    first, last = (len(items), None) if unbounded else (args.get("first"), args.get("last"))
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for name, size in (("first", first), ("last", last)):
        if size is not None and not unbounded and not 0 <= size <= MAX_PAGE:
            raise GraphQLError(f"The `{name}` argument must be between 0 and {MAX_PAGE}.")
    ordered = sorted(items, key=key, reverse=reverse)
    window = ordered
    if args.get("after"):
        mark = decode_cursor(args["after"])
        window = [i for i in window if (key(i) < mark if reverse else key(i) > mark)]
    if args.get("before"):
        mark = decode_cursor(args["before"])
        window = [i for i in window if (key(i) > mark if reverse else key(i) < mark)]
    before_window = len(ordered) - len(window)
    has_next = has_previous = False
    if first is not None:
        has_next, window = len(window) > first, window[:first]
        has_previous = bool(args.get("after")) and before_window > 0
    if last is not None:
        has_previous, window = len(window) > last, window[len(window) - last :] if last else []
        has_next = has_next or bool(args.get("before"))
    edges = [{"cursor": encode_cursor(key(i)), "node": i} for i in window]
    return {
        "edges": edges,
        "nodes": window,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
