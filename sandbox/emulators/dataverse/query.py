"""URL pieces of the Dataverse Web API the emulator understands: key segments (``(<guid>)`` or
``(col='v',col2=2)``) and ``$filter`` with ``eq``/``ne``, ``and``/``or`` and parentheses over string,
number, GUID, boolean and null literals. Anything else is refused with a 400, as an unsupported
query would be by a real server the integration was not written for."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

from sandbox.emulators.dataverse.wire import DataverseFault

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{12})|(?P<number>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][\w]*)|(?P<punct>[(),=]))"
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise DataverseFault(400, "0x80060888", f"Syntax error at position {pos} in '{text}'.")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "guid":
        return str(uuid.UUID(text))
    if kind == "number":
        return Decimal(text)
    if kind == "name" and text in ("true", "false"):
        return text == "true"
    if kind == "name" and text == "null":
        return None
    raise DataverseFault(400, "0x80060888", f"'{text}' is not a literal.")


def parse_key(segment: str) -> str | dict[str, Any]:
    """The inside of ``(...)``: a GUID string, or alternate-key column -> value."""
    tokens = _tokens(segment)
    if len(tokens) == 1 and tokens[0][0] == "guid":
        return str(uuid.UUID(tokens[0][1]))
    key: dict[str, Any] = {}
    index = 0
    while index < len(tokens):
        try:
            (k1, name), (_, eq), (k2, value) = tokens[index : index + 3]
        except ValueError:
            raise DataverseFault(400, "0x80060888", f"Bad key segment '({segment})'.") from None
        if k1 != "name" or eq != "=":
            raise DataverseFault(400, "0x80060888", f"Bad key segment '({segment})'.")
        key[name] = _literal(k2, value)
        index += 3
        if index < len(tokens) and tokens[index][1] == ",":
            index += 1
    return key


class Filter:
    """A parsed ``$filter``; :meth:`matches` tests a row."""

    def __init__(self, text: str, columns: frozenset[str]) -> None:
        self.tokens, self.pos, self.columns = _tokens(text), 0, columns
        self.tree = self._or()
        if self.pos != len(self.tokens):
            raise DataverseFault(400, "0x80060888", f"Unexpected '{self.tokens[self.pos][1]}' in $filter.")

    def _peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def _take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise DataverseFault(400, "0x80060888", "Unexpected end of $filter.")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self) -> Any:
        node = self._and()
        while self._peek() == "or":
            self._take()
            node = ("or", node, self._and())
        return node

    def _and(self) -> Any:
        node = self._atom()
        while self._peek() == "and":
            self._take()
            node = ("and", node, self._atom())
        return node

    def _atom(self) -> Any:
        if self._peek() == "(":
            self._take()
            node = self._or()
            if self._take()[1] != ")":
                raise DataverseFault(400, "0x80060888", "Missing ')' in $filter.")
            return node
        kind, name = self._take()
        if kind != "name" or not (name in self.columns or (name.startswith("_") and name.endswith("_value"))):
            raise DataverseFault(400, "0x80060888", f"Could not find a property named '{name}' on type.")
        op = self._take()[1]
        if op not in ("eq", "ne"):
            raise DataverseFault(400, "0x80060888", f"The emulator supports eq and ne only, not '{op}'.")
        value_kind, value = self._take()
        return (op, name, _literal(value_kind, value))

    def matches(self, row: dict[str, Any]) -> bool:
        return _eval(self.tree, row)


def _eval(node: Any, row: dict[str, Any]) -> bool:
    op = node[0]
    if op == "or":
        return _eval(node[1], row) or _eval(node[2], row)
    if op == "and":
        return _eval(node[1], row) and _eval(node[2], row)
    actual, wanted = row.get(node[1]), node[2]
    if isinstance(actual, str) and isinstance(wanted, str):  # Dataverse compares strings ignoring case
        equal = actual.lower() == wanted.lower()
    elif isinstance(wanted, Decimal) and isinstance(actual, (int, Decimal)) and not isinstance(actual, bool):
        equal = Decimal(actual) == wanted
    else:
        equal = actual == wanted
    return equal if op == "eq" else not equal
