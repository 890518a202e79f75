"""Go-live preflight (``python -m integration.cli doctor``, ops route ``GET doctor``): read-only checks
against the configured Shopify, FedEx, F&O and (when on) Dataverse, one line each with the fix when it fails.

A check is ``ok`` True (pass), False (fail) or None (cannot be verified from here: do it by hand).
Nothing here writes to any system.
"""

from __future__ import annotations

from typing import Any

from integration.doctor import dataverse, fedex, fo, shopify
from integration.doctor.check import Check, guarded
from shared.settings import Settings

__all__ = ["SYSTEMS", "Check", "guarded", "run_doctor", "summary"]


SYSTEMS = ("shopify", "fedex", "fo", "dataverse")


def run_doctor(settings: Settings, app_url: str = "", systems: tuple[str, ...] = SYSTEMS) -> list[Check]:
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
