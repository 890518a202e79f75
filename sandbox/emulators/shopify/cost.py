"""Shopify's calculated query cost and the two leaky buckets (GraphQL points, REST calls).

Cost rules (reference/shopify.md §4.4): scalars and enums 0, objects 1, a connection costs
2 + ``first``/``last`` x (cost of one node), every mutation field 10. The *requested* cost is
taken from the bucket before execution; afterwards the bucket is refunded down to the *actual*
cost, computed with the same rules but with the number of nodes really returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    value_from_ast_untyped,
)

MUTATION_COST = 10
CONNECTION_BASE = 2


class CostCalculator:
    """Walks one operation. With ``data`` (the execution result) it computes the actual cost."""

    def __init__(
        self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = dict(variables)

    def operation(self, op: OperationDefinitionNode, data: Any = None, actual: bool = False) -> int:
        for definition in op.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and definition.default_value is not None:
                self.variables[name] = value_from_ast_untyped(definition.default_value)
        root = self.schema.mutation_type if op.operation.value == "mutation" else self.schema.query_type
        if root is None:
            return 0
        if op.operation.value == "mutation":
            # Shopify prices a mutation at a flat 10 points per mutation field.
            return MUTATION_COST * len(list(self._fields(op.selection_set, root)))
        return self._selection(op.selection_set, root, data, actual)

    def _fields(self, selection_set: SelectionSetNode, parent: GraphQLObjectType | Any):
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection, parent
            elif isinstance(selection, InlineFragmentNode):
                target = (
                    self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                )
                yield from self._fields(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    target = self.schema.get_type(fragment.type_condition.name.value)
                    yield from self._fields(fragment.selection_set, target)

    def _selection(self, selection_set: SelectionSetNode | None, parent: Any, data: Any, actual: bool) -> int:
        if selection_set is None or not hasattr(parent, "fields"):
            return 0
        total = 0
        for node, owner in self._fields(selection_set, parent):
            name = node.name.value
            if name.startswith("__") or not hasattr(owner, "fields") or name not in owner.fields:
                continue
            key = node.alias.value if node.alias else name
            value = data.get(key) if isinstance(data, dict) else None
            if actual and isinstance(data, dict) and key not in data:
                continue  # the field belongs to a fragment for another concrete type
            total += self._field(node, owner.fields[name], value, actual)
        return total

    def _field(self, node: FieldNode, definition: GraphQLField, value: Any, actual: bool) -> int:
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        if named.name.endswith("Connection"):
            return self._connection(node, definition, named, value, actual)
        if is_list_type(get_nullable_type(definition.type)):
            # A plain list of objects: priced like one object per element actually returned.
            items = value if (actual and isinstance(value, list)) else [None]
            return sum(1 + self._selection(node.selection_set, named, item, actual) for item in items)
        if actual and value is None:
            return 1
        return 1 + self._selection(node.selection_set, named, value, actual)

    def _int_argument(self, node: FieldNode, name: str) -> int | None:
        # Read first/last straight from the AST so this works on graphql-core 3.2 and 3.3 alike.
        for argument in node.arguments or ():
            if argument.name.value != name:
                continue
            if isinstance(argument.value, IntValueNode):
                return int(argument.value.value)
            if isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
                return int(value) if isinstance(value, int) else None
        return None

    def _connection(self, node: FieldNode, definition: GraphQLField, conn_type: Any, value: Any, actual: bool) -> int:
        size = self._int_argument(node, "first") or self._int_argument(node, "last") or 0
        node_type = conn_type.fields["edges"].type if "edges" in conn_type.fields else None
        node_type = get_named_type(node_type).fields["node"].type if node_type else None
        node_type = get_named_type(node_type) if node_type else None
        cost = CONNECTION_BASE
        if node.selection_set is None:
            return cost
        for sub, _owner in self._fields(node.selection_set, conn_type):
            sub_name = sub.name.value
            if sub_name == "pageInfo":
                continue
            if sub_name in ("edges", "nodes") and node_type is not None:
                inner = sub.selection_set
                if sub_name == "edges" and inner is not None:
                    inner = next(
                        (s.selection_set for s, _ in self._fields(inner, conn_type) if s.name.value == "node"), None
                    )
                if actual:
                    key = sub.alias.value if sub.alias else sub_name
                    items = (value or {}).get(key) or []
                    nodes = [i.get("node") if sub_name == "edges" and isinstance(i, dict) else i for i in items]
                    cost += sum(1 + self._selection(inner, node_type, n, True) for n in nodes)
                else:
                    cost += size * (1 + self._selection(inner, node_type, None, False))
        return cost


@dataclass
class ThrottleStatus:
    maximumAvailable: float
    currentlyAvailable: float
    restoreRate: float


class LeakyBucket:
    """Shopify's GraphQL point bucket: fills at ``restore_rate`` per second up to ``maximum``."""

    def __init__(self, maximum: float, restore_rate: float, clock: Callable[[], float]) -> None:
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self.clock = clock
        self._available = float(maximum)
        self._at = clock()

    def available(self) -> float:
        now = self.clock()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now
        return self._available

    def take(self, cost: float) -> bool:
        if self.available() < cost:
            return False
        self._available -= cost
        return True

    def refund(self, amount: float) -> None:
        self._available = min(self.maximum, self.available() + max(0.0, amount))

    def configure(
        self, maximum: float | None = None, restore_rate: float | None = None, currently_available: float | None = None
    ) -> None:
        self.available()
        if maximum is not None:
            self.maximum = float(maximum)
        if restore_rate is not None:
            self.restore_rate = float(restore_rate)
        if currently_available is not None:
            self._available = float(currently_available)
        self._available = min(self._available, self.maximum)

    def status(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": round(self.available(), 1),
            "restoreRate": self.restore_rate,
        }


class RestBucket:
    """The REST call bucket: each call adds one, it leaks ``leak_rate`` per second."""

    def __init__(self, size: int, leak_rate: float, clock: Callable[[], float]) -> None:
        self.size = size
        self.leak_rate = float(leak_rate)
        self.clock = clock
        self._level = 0.0
        self._at = clock()

    def level(self) -> float:
        now = self.clock()
        self._level = max(0.0, self._level - (now - self._at) * self.leak_rate)
        self._at = now
        return self._level

    def hit(self) -> bool:
        if self.level() + 1 > self.size:
            return False
        self._level += 1
        return True

    def retry_after(self) -> float:
        return max(1.0, (self.level() + 1 - self.size) / self.leak_rate) if self.leak_rate else 1.0

    def header(self) -> str:
        return f"{int(-(-self.level() // 1))}/{self.size}"
