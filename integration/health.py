"""Health report: configuration validity, storage reachability, versions.

Two views: the anonymous ``/api/health`` says only ``ok`` or ``unhealthy`` (a probe needs no more, and
the names of missing settings, versions and the storage endpoint help an attacker); the detailed report
is ``GET /api/ops/health`` behind the ops API's authentication.
"""

from __future__ import annotations

import os
import platform
import time
from importlib import metadata
from typing import Any

from azure.core.exceptions import AzureError

from shared import meter
from shared.settings import Settings, SettingsError, get_settings
from shared.storage import CALLS, get_storage

APP_VERSION = "0.1.0"

# Settings each flow needs; health reports which are missing without failing liveness for them.
FLOW_SETTINGS = {
    "webhooks": ("SHOPIFY_API_SECRET",),
    "redaction": ("REDACTION_KEY",),
    "shopify_admin": ("SHOPIFY_SHOP_DOMAIN", "SHOPIFY_ADMIN_TOKEN"),
    "d365": ("D365_URL", "D365_LEGAL_ENTITY"),
    "fedex": ("FEDEX_CLIENT_ID", "FEDEX_CLIENT_SECRET", "FEDEX_ACCOUNT_NUMBER"),
}


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _settings_check() -> tuple[dict[str, Any], Settings | None]:
    try:
        settings = get_settings()
    except SettingsError as error:
        return {"ok": False, "error": str(error)}, None
    missing: dict[str, list[str]] = {}
    for flow, names in FLOW_SETTINGS.items():
        try:
            settings.require(*names)
        except SettingsError:
            missing[flow] = [n for n in names if not _present(settings, n)]
    unresolved = sorted(settings.unresolved)
    check: dict[str, Any] = {"ok": "webhooks" not in missing and not unresolved, "missing": missing}
    if unresolved:
        # An unresolved Key Vault reference is a broken deployment, whatever the setting: fail closed.
        check["unresolved_key_vault_references"] = unresolved
    return check, settings


def _present(settings: Settings, name: str) -> bool:
    try:
        settings.require(name)
        return True
    except SettingsError:
        return False


def _storage_check() -> dict[str, Any]:
    started = time.perf_counter()
    try:
        service = get_storage().queue_service()
        next(iter(service.list_queues(results_per_page=1)), None)
    except (AzureError, SettingsError, ValueError) as error:
        return {"ok": False, "error": type(error).__name__ + ": " + str(error).splitlines()[0][:200]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def public_health(report: dict[str, Any]) -> dict[str, Any]:
    """What an anonymous caller sees: the status only."""
    return {"status": report["status"]}


def check_health() -> dict[str, Any]:
    settings_check, _ = _settings_check()
    storage_check = _storage_check()
    ok = settings_check["ok"] and storage_check["ok"]
    return {
        "status": "ok" if ok else "unhealthy",
        "checks": {"settings": settings_check, "storage": storage_check},
        # This worker process's storage round trips since it started, per service (the benchmarks read
        # them per unit of work; this report's own storage check is one queue call)
        # and its functions' own CPU per outcome (shared.meter).
        "process": {"pid": os.getpid(), "storage_calls": dict(CALLS), "function_cpu": meter.snapshot()},
        "versions": {
            "app": APP_VERSION,
            "python": platform.python_version(),
            "azure-functions": _version("azure-functions"),
        },
    }
