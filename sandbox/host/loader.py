"""Load ``function_app.py`` like the Python worker: exactly one FunctionRegister, ``get_functions()``
once, parameters bound by name, ``context`` injected."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func
from azure.functions.decorators.core import BindingDirection

SUPPORTED = {"httpTrigger", "http", "queueTrigger", "queue", "timerTrigger"}


class LoadError(RuntimeError):
    pass


@dataclass
class FunctionSpec:
    name: str
    trigger: Any
    bindings: list[Any]
    user_function: Callable[..., Any]
    is_async: bool
    wants_context: bool
    outputs: list[Any] = field(default_factory=list)  # OUT bindings other than $return
    has_return: bool = False

    @property
    def trigger_type(self) -> str:
        return str(self.trigger.type)


def load_app(app_dir: Path, script: str = "function_app.py") -> tuple[func.FunctionApp, list[FunctionSpec]]:
    module_name = Path(script).stem
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    module = importlib.import_module(module_name)
    registers = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    if len(registers) != 1:
        raise LoadError(f"{script} must define exactly one FunctionApp, found {len(registers)}")
    app = registers[0]
    if not isinstance(app, func.FunctionApp):
        raise LoadError(f"{script}: the FunctionRegister must be a FunctionApp")
    specs = [_spec(f) for f in app.get_functions()]  # get_functions() may be called once only
    return app, specs


def _is_out(direction: Any) -> bool:
    # Depending on the library version the direction is the enum or its int value (OUT = 1).
    return direction == BindingDirection.OUT or getattr(direction, "value", direction) == 1


def _spec(function: Any) -> FunctionSpec:
    name = function.get_function_name()
    bindings = list(function.get_bindings())
    trigger = function.get_trigger()
    for binding in bindings:
        if binding.type not in SUPPORTED:
            raise LoadError(f"function {name}: binding type {binding.type!r} is not supported by the local host")
    user = function.get_user_function()
    params = inspect.signature(user).parameters
    names = {b.name for b in bindings}
    unknown = [p for p in params if p not in names and p != "context"]
    if unknown:
        raise LoadError(
            f"function {name}: the following parameters are declared in Python but not as bindings: {unknown}"
        )
    outputs = [b for b in bindings if _is_out(b.direction) and b.name != "$return"]
    return FunctionSpec(
        name=name,
        trigger=trigger,
        bindings=bindings,
        user_function=user,
        is_async=inspect.iscoroutinefunction(user),
        wants_context="context" in params,
        outputs=outputs,
        has_return=any(b.name == "$return" for b in bindings),
    )
