"""Functions as the host knows them: from the worker's ``FunctionMetadataResponse``.

Like the real host with worker indexing, the host never imports ``function_app.py`` itself: it reads
each function's ``raw_bindings`` (the JSON the ``azure.functions`` decorators produce, the same as a
``function.json`` binding) from the metadata the worker returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

TRIGGERS = {"httpTrigger", "queueTrigger", "timerTrigger"}
OUTPUTS = {"http", "queue"}


class UnsupportedBinding(ValueError):
    pass


@dataclass
class FunctionSpec:
    name: str
    function_id: str
    trigger: dict[str, Any]
    outputs: list[dict[str, Any]] = field(default_factory=list)  # OUT bindings other than http/$return
    returns: dict[str, Any] | None = None  # the $return binding, if any

    @property
    def trigger_type(self) -> str:
        return str(self.trigger["type"])

    @property
    def trigger_name(self) -> str:
        return str(self.trigger["name"])


def _direction(binding: dict[str, Any]) -> str:
    return str(binding.get("direction", "in")).lower()


def from_metadata(metadata: Any) -> FunctionSpec:
    """A ``FunctionSpec`` from one ``RpcFunctionMetadata``; ``UnsupportedBinding`` for a binding the
    local host does not implement (the real host would load its extension)."""
    bindings = [json.loads(raw) for raw in metadata.raw_bindings]
    triggers = [b for b in bindings if str(b.get("type", "")).endswith("Trigger")]
    if len(triggers) != 1:
        raise UnsupportedBinding(f"function {metadata.name}: exactly one trigger expected, found {len(triggers)}")
    trigger = triggers[0]
    for binding in bindings:
        kind = str(binding.get("type"))
        if kind not in (TRIGGERS if binding is trigger else OUTPUTS):
            raise UnsupportedBinding(
                f"function {metadata.name}: binding type {kind!r} is not supported by the local host"
            )
    returns = next((b for b in bindings if b.get("name") == "$return"), None)
    outputs = [b for b in bindings if _direction(b) == "out" and b.get("name") != "$return" and b.get("type") != "http"]
    return FunctionSpec(metadata.name, metadata.function_id, trigger, outputs, returns)
