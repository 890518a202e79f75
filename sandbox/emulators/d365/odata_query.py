"""OData ``$filter`` as F&O supports it (the other query options are in ``query_options.py``).

$filter: eq/ne/gt/ge/lt/le, and/or/not, parentheses, add/sub/mul/div/mod, string/number/bool/
null/datetime/enum literals (``Microsoft.Dynamics.DataEntities.NoYes'Yes'``). "Contains" is a
``*`` wildcard inside an ``eq`` string literal. ``has``/``in`` and functions are rejected, as F&O
documents. String comparisons ignore case (SQL Server collation). Operand types are checked the
way the OData library does, so a client that writes ``IsX eq 'Yes'`` for an enum fails here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.emulators.d365.entities import NAMESPACE, EntitySet, parse_date
from sandbox.emulators.d365.wire import query_error

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<enum>(?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<date>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
  | (?P<name>[A-Za-z_$][\w]*)
  | (?P<punct>[(),])
""",
    re.VERBOSE,
)

_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_ARITH = {"add", "sub", "mul", "div", "divby", "mod"}
_OP_KIND = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}

Node = tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise query_error(f"Syntax error at position {pos} in '{text}'.")
        pos = m.end()
        kind = m.lastgroup or ""
        if kind != "ws":
            out.append((kind, m.group()))
    return out


class _Parser:
    def __init__(self, text: str, entity: EntitySet) -> None:
        self.text = text
        self.entity = entity
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def word(self) -> str:
        tok = self.peek()
        return tok[1] if tok and tok[0] == "name" else ""

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise query_error(f"Expression expected at position {len(self.text)} in '{self.text}'.")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            raise query_error(
                f"Syntax error: character '{self.peek()[1]}' "  # type: ignore[index]
                f"is not valid in '{self.text}'."
            )
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.word() == "or":
            self.take()
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while self.word() == "and":
            self.take()
            node = ("and", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        if self.word() == "not":
            self.take()
            return ("not", self.not_expr())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.arith()
        op = self.word()
        if op in ("has", "in"):
            raise query_error(f"The operators 'has' and 'in' are not supported ('{op}' in '{self.text}').")
        if op in _COMPARE:
            self.take()
            right = self.arith()
            return self.check(("cmp", op, left, right))
        return left

    def arith(self) -> Node:
        node = self.primary()
        while self.word() in _ARITH:
            op = self.take()[1]
            node = ("arith", op, node, self.primary())
        return node

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "punct" and text == "(":
            node = self.or_expr()
            if self.take() != ("punct", ")"):
                raise query_error(f"')' expected in '{self.text}'.")
            return node
        if kind == "string":
            return ("lit", text[1:-1].replace("''", "'"), "Edm.String")
        if kind == "enum":
            qualified, _, member = text.partition("'")
            return ("lit", member[:-1].replace("''", "'"), qualified)
        if kind == "date":
            try:
                return ("lit", parse_date(text if "T" in text else text + "T12:00:00Z"), "Edm.DateTimeOffset")
            except ValueError as exc:
                raise query_error(f"Unrecognized 'Edm.DateTimeOffset' literal '{text}'.") from exc
        if kind == "number":
            try:
                return ("lit", Decimal(text.rstrip("mMdDfFlL")), "Edm.Decimal")
            except InvalidOperation as exc:
                raise query_error(f"Invalid number '{text}'.") from exc
        if kind == "name":
            if text in ("true", "false"):
                return ("lit", text == "true", "Edm.Boolean")
            if text == "null":
                return ("lit", None, "null")
            if self.peek() == ("punct", "("):
                raise query_error(
                    f"An unknown function with name '{text}' was found. This may also be a function "
                    f"import or a key lookup on a navigation property, which is not allowed."
                )
            f = self.entity.field(text)
            if f is None:
                raise query_error(
                    f"Could not find a property named '{text}' on type '{NAMESPACE}.{self.entity.type_name}'."
                )
            return ("field", text, f.type_name, f.edm)
        raise query_error(f"Syntax error at '{text}' in '{self.text}'.")

    def check(self, node: Node) -> Node:
        _, op, left, right = node
        lt, rt = _type_of(left), _type_of(right)
        if "null" in (lt, rt):
            return node
        enum_side = lt if lt.startswith(NAMESPACE) else rt if rt.startswith(NAMESPACE) else ""
        if enum_side and op not in ("eq", "ne"):
            raise query_error(
                f"Only the 'eq' and 'ne' operators are supported for enum values ('{op}' in '{self.text}')."
            )
        if _family(lt) != _family(rt) or (enum_side and lt != rt):
            raise query_error(
                f"A binary operator with incompatible types was detected. Found operand types "
                f"'{lt}' and '{rt}' for operator kind '{_OP_KIND[op]}'."
            )
        return node


def _type_of(node: Node) -> str:
    if node[0] == "field":
        return str(node[2])
    if node[0] == "lit":
        return str(node[2])
    if node[0] == "arith":
        return "Edm.Decimal"
    return "Edm.Boolean"


def _family(type_name: str) -> str:
    if type_name in ("Edm.Decimal", "Edm.Int32", "Edm.Int64", "Edm.Double"):
        return "number"
    return type_name


def parse_filter(text: str, entity: EntitySet) -> Node:
    return _Parser(text, entity).parse()


def equalities(node: Node) -> dict[str, str]:
    """``Field eq 'literal'`` terms that every match must satisfy (top-level ``and`` chain, no
    wildcards): lets the caller narrow the candidates through an index before evaluating."""
    if node[0] == "and":
        return {**equalities(node[1]), **equalities(node[2])}
    if node[0] == "cmp" and node[1] == "eq":
        left, right = node[2], node[3]
        if left[0] == "lit":
            left, right = right, left
        if left[0] == "field" and right[0] == "lit" and right[2] == "Edm.String" and right[1] and "*" not in right[1]:
            return {str(left[1]): str(right[1])}
    return {}


def _value(node: Node, row: dict[str, Any], default: Callable[[str], Any]) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        return row[node[1]] if node[1] in row else default(node[1])
    if kind == "arith":
        a, b = _value(node[2], row, default), _value(node[3], row, default)
        if a is None or b is None:
            return None
        a, b = Decimal(a), Decimal(b)
        op = node[1]
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            return a * b
        if b == 0:
            return None
        return a % b if op == "mod" else a / b
    return evaluate(node, row, default)


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.IGNORECASE | re.DOTALL)


def evaluate(node: Node, row: dict[str, Any], default: Callable[[str], Any]) -> bool:
    kind = node[0]
    if kind == "or":
        return evaluate(node[1], row, default) or evaluate(node[2], row, default)
    if kind == "and":
        return evaluate(node[1], row, default) and evaluate(node[2], row, default)
    if kind == "not":
        return not evaluate(node[1], row, default)
    if kind == "lit":
        return bool(node[1])
    if kind == "field":
        return bool(_value(node, row, default))
    _, op, left, right = node
    a, b = _value(left, row, default), _value(right, row, default)
    if isinstance(a, str) and isinstance(b, str):
        literal = right[1] if right[0] == "lit" else left[1] if left[0] == "lit" else None
        if op in ("eq", "ne") and isinstance(literal, str) and "*" in literal:
            other = a if right[0] == "lit" else b
            hit = bool(_wildcard(literal).match(other))
            return hit if op == "eq" else not hit
        a, b = a.casefold(), b.casefold()
    if op == "eq":
        return bool(a == b)
    if op == "ne":
        return bool(a != b)
    if a is None or b is None:
        return False
    try:
        if op == "gt":
            return bool(a > b)
        if op == "ge":
            return bool(a >= b)
        if op == "lt":
            return bool(a < b)
        return bool(a <= b)
    except TypeError:
        return False
