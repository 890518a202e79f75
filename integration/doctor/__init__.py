"""Go-live preflight (``python -m integration.cli doctor``, ops route ``GET doctor``): read-only checks
against the configured Shopify, FedEx, F&O and (when on) Dataverse, one line each with the fix when it fails.

A check is ``ok`` True (pass), False (fail) or None (cannot be verified from here: do it by hand).
Nothing here writes to any system.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from shared.settings import Settings


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


SYSTEMS = ("shopify", "fedex", "fo", "dataverse")


def run_doctor(settings: Settings, app_url: str = "", systems: tuple[str, ...] = SYSTEMS) -> list[Check]:
    from integration.doctor import dataverse, fedex, fo, shopify

    checks: list[Check] = []
    if "shopify" in systems:
        checks += shopify.checks(settings, app_url)
    if "fedex" in systems:
        checks += fedex.checks(settings)
    if "fo" in systems:
        checks += fo.checks(settings)
    if "dataverse" in systems:
        checks += dataverse.checks(settings)
    return checks


def summary(checks: list[Check]) -> dict[str, Any]:
    return {
        "ok": all(c.ok is not False for c in checks),
        "failed": sum(c.ok is False for c in checks),
        "manual": sum(c.ok is None for c in checks),
        "checks": [c.as_dict() for c in checks],
    }
