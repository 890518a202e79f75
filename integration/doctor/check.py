"""One line of the go-live preflight, and the guard that turns a crashing check into a failed one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    system: str
    name: str
    ok: bool | None
    detail: str = ""
    fix: str = ""

    @property
    def status(self) -> str:
        return {True: "pass", False: "FAIL", None: "manual"}[self.ok]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def guarded(system: str, name: str, fix: str, run: Callable[[], Check | list[Check]]) -> list[Check]:
    """Run one check; an exception is that check's failure (with its message), never the report's."""
    try:
        result = run()
    except Exception as error:  # the preflight reports, it does not crash
        return [Check(system, name, False, f"{type(error).__name__}: {str(error)[:300]}", fix)]
    return result if isinstance(result, list) else [result]
