"""The package boundaries, read from the source (every ``import``, also inside functions):

* the product (``function_app.py``, ``integration``, ``shared``) never imports the sandbox;
* the emulators never import the product, the host or the harness;
* the local host never imports the product, the emulators or the harness (it has its own storage and
  encoding code, so it checks the app's instead of sharing it).

The harness (``sandbox/harness``) drives the app and may import it; tests may import anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("function_app", "integration", "shared")


def imported(source: str) -> set[str]:
    """Every module name an ``import`` or ``from ... import`` in the source names (absolute imports)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in files:
        for name in sorted(imported(path.read_text(encoding="utf-8"))):
            if any(name == f or name.startswith(f"{f}.") for f in forbidden):
                found.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: imports {name}")
    return found


def sources(*parts: str) -> list[Path]:
    files: list[Path] = []
    for part in parts:
        path = ROOT / part
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    assert files, f"no sources under {parts}"
    return files


def test_the_product_never_imports_the_sandbox() -> None:
    assert violations(sources("function_app.py", "integration", "shared"), ("sandbox",)) == []


def test_the_emulators_never_import_the_product_the_host_or_the_harness() -> None:
    forbidden = (*PRODUCT, "sandbox.host", "sandbox.harness", "sandbox.tests")
    assert violations(sources("sandbox/emulators", "sandbox/__init__.py"), forbidden) == []


def test_the_host_never_imports_the_product_the_emulators_or_the_harness() -> None:
    forbidden = (*PRODUCT, "sandbox.emulators", "sandbox.harness", "sandbox.tests")
    assert violations(sources("sandbox/host"), forbidden) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from shared.storage import Storage", True),
        ("import shared", True),
        ("def f():\n    from integration.clients import d365\n", True),
        ("from shared import storage", True),
        ("from sandbox.host.storage import HostStorage", False),
        ("from sharedthing import x", False),
        ("from . import shared", False),
    ],
)
def test_the_check_sees_an_import_wherever_it_is(source: str, caught: bool, tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    assert bool(violations([probe], PRODUCT)) is caught
