"""Which F&O entity sets and fields the app uses, read from the code itself (not a hand-kept list):
every ``D365Client`` call (``get``/``query``/``find``/``create``/``update``/``delete``, ``BatchOp``,
``BatchRead``) in the ``integration`` package, its entity set argument and its ``select`` fields.
Names and module constants are resolved; what cannot be resolved statically is skipped."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

import integration

CALLS = {"get", "query", "find", "create", "update", "delete"}
RECEIVERS = {"d365", "client"}
BATCH = {"BatchOp": 1, "BatchRead": 0}


def _receiver(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _resolve(node: ast.expr | None, module: Any) -> Any:
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return getattr(getattr(module, node.value.id, None), node.attr, None)
    if isinstance(node, ast.List | ast.Tuple):
        out: list[Any] = []
        for element in node.elts:
            value = _resolve(element.value if isinstance(element, ast.Starred) else element, module)
            if isinstance(value, list | tuple):
                out.extend(value)
            elif value is not None:
                out.append(value)
        return out
    return None


def _fields(value: Any) -> set[str]:
    if isinstance(value, str):
        return {f.strip() for f in value.split(",") if f.strip()}
    if isinstance(value, list | tuple):
        return {str(v) for v in value if isinstance(v, str)}
    return set()


@cache
def fo_usage() -> dict[str, frozenset[str]]:
    """Entity set -> the fields the app selects from it (empty: the whole entity)."""
    found: dict[str, set[str]] = {}
    for info in pkgutil.walk_packages(integration.__path__, "integration."):
        if ".triggers" in info.name or info.name.startswith("integration.doctor"):
            continue
        module = importlib.import_module(info.name)
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call):
                continue
            entity: Any = None
            if isinstance(node.func, ast.Attribute) and node.func.attr in CALLS:
                if _receiver(node.func.value) in RECEIVERS and node.args:
                    entity = _resolve(node.args[0], module)
            elif isinstance(node.func, ast.Name) and node.func.id in BATCH and len(node.args) > BATCH[node.func.id]:
                entity = _resolve(node.args[BATCH[node.func.id]], module)
            if not isinstance(entity, str) or not entity[:1].isupper() or " " in entity:
                continue
            select = next((k.value for k in node.keywords if k.arg == "select"), None)
            if (
                select is None
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "find"
                and len(node.args) > 2
            ):
                select = node.args[2]
            found.setdefault(entity, set()).update(_fields(_resolve(select, module)))
    return {name: frozenset(fields) for name, fields in sorted(found.items())}
