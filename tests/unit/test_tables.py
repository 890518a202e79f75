"""Every Azure Table is named once, in shared/tables.py: no module (nor test, nor benchmark) writes a
table name as a literal where it opens a table or names a ``*TABLE*`` constant."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from shared import tables

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("integration", "shared", "bench", "tests", "function_app.py")
# Tables that are not the app's: bench/transport.py measures the storage transport on scratch tables.
SCRATCH = frozenset({"benchsync", "benchasync"})
# Calls whose first argument (or ``table_name=``) is a table name.
TABLE_CONSTANT = re.compile(r"(^|_)TABLES?(_NAMES?)?$")  # ORDERS_TABLE, TABLE, AUDIT_TABLES, TABLE_NAME
OPENERS = frozenset({"table", "get_table_client", "create_table", "delete_table", "from_connection_string"})


def table_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of each string literal used as a table name."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            candidates = [kw.value for kw in node.keywords if kw.arg == "table_name"]
            if name in OPENERS and node.args:
                candidates.append(node.args[0])
            found += [
                (c.lineno, c.value) for c in candidates if isinstance(c, ast.Constant) and isinstance(c.value, str)
            ]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            if any(TABLE_CONSTANT.search(n) for n in names) and node.value is not None:
                found += [
                    (c.lineno, c.value)
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str) and c.value.isalnum()
                ]
    return found


def test_no_table_name_outside_the_catalogue() -> None:
    here = Path(__file__).resolve()
    offenders = []
    for entry in SCANNED:
        path = ROOT / entry
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            if file.resolve() in (here, (ROOT / "shared" / "tables.py").resolve()):
                continue
            for line, text in table_literals(file.read_text(encoding="utf-8")):
                if text not in SCRATCH:
                    offenders.append(f"{file.relative_to(ROOT)}:{line}: {text!r}")
    assert offenders == [], "name the table in shared/tables.py and use it from there"


def test_the_catalogue_is_complete_and_valid() -> None:
    names = [value for key, value in vars(tables).items() if key.isupper() and isinstance(value, str)]
    assert sorted(names) == sorted(tables.ALL) and len(set(tables.ALL)) == len(tables.ALL)
    # Azure Table names: 3-63 alphanumeric characters, not starting with a digit.
    assert all(3 <= len(n) <= 63 and n.isalnum() and n[0].isalpha() for n in tables.ALL)


def test_the_scan_catches_literals() -> None:
    source = 'ORDERS_TABLE = "orders"\nstorage.table("refunds")\nclient.get_table_client(table_name="inbox")\n'
    assert table_literals(source) == [(1, "orders"), (2, "refunds"), (3, "inbox")]
    assert table_literals('storage.table(tables.ORDERS)\nTABLE_KEY_MAX_BYTES = 1024\nqueue("orders")\n') == []
