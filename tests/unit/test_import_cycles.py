"""No import cycle in integration/ and shared/, and no function-local import that hides one.

The graph has an edge for every import of a project module: at module level, inside a function, and
under ``TYPE_CHECKING`` (a type-only back-reference is the same cycle in the design, hidden from the
interpreter). A function-local import is allowed for other reasons (an optional heavy dependency,
settings read at first use), but if moving every one of them to the top of its module would make a
cycle, one of them is dodging it: the test names the cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("integration", "shared")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    """module -> the project modules it imports (at any depth of its body)."""
    files = {module_name(f, root): f for package in packages for f in sorted((root / package).rglob("*.py"))}

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                found = resolve(target)
                if found and found != name:
                    graph[name].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle_even_with_function_local_imports_hoisted() -> None:
    assert cycles(import_graph(ROOT)) == []


def test_the_check_finds_cycles_dodged_by_local_and_type_only_imports(tmp_path: Path) -> None:
    package = tmp_path / "integration"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "service.py").write_text("from integration.amend import cancel\nCONSTANT = 1\n")
    (package / "amend.py").write_text(
        "def cancel():\n    from integration.service import CONSTANT\n    return CONSTANT\n"
    )
    (package / "client.py").write_text("from integration import reads\n")
    (package / "reads.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from integration.client import Client\n"
    )
    (package / "leaf.py").write_text("def lazy():\n    from integration.service import CONSTANT\n")
    found = cycles(import_graph(tmp_path, ("integration",)))
    assert sorted(found) == [["integration.amend", "integration.service"], ["integration.client", "integration.reads"]]
