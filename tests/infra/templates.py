"""Read the project's infrastructure and configuration files the way the tests need them.

Bicep is parsed with pycep-parser (a real Bicep grammar), not with regular expressions, so a setting
that only appears in a comment or a string does not count as "set by the template".
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
TRIGGERS = ROOT / "integration" / "triggers"

# `%NAME%` binding expressions (schedules, queue names); `%s`-style format strings never match.
BINDING_EXPRESSION = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")
# Settings the app code reads straight from the environment (e.g. a schedule read at indexing time).
ENVIRONMENT_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|os\.environ\[)\(?\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
)


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def parse(path: Path) -> dict[str, Any]:
    parsed: dict[str, Any] = dict(BicepParser().parse(text=path.read_text()))
    return parsed


def _object_keys(
    expression: Any, template: dict[str, Any], caller: dict[str, Any] | None, module_name: str | None
) -> set[str]:
    """Keys of an object-valued expression: a literal, union(...), a variable, or a module parameter."""
    if isinstance(expression, dict) and "function" in expression:
        call = expression["function"]
        if call["type"] != "union":
            raise AssertionError(f"unexpected function in app settings: {call['type']}")
        keys: set[str] = set()
        for argument in call["parameters"].values():
            keys |= _object_keys(argument, template, caller, module_name)
        return keys
    if isinstance(expression, dict) and "operator" not in expression:
        return set(expression)
    if isinstance(expression, str) and expression in template.get("variables", {}):
        return _object_keys(template["variables"][expression]["value"], template, caller, module_name)
    if isinstance(expression, str) and expression in template.get("parameters", {}):
        if caller is not None:
            passed = caller["modules"][module_name]["config"]["params"][expression]
            return _object_keys(passed, caller, None, None)
        # A top-level object parameter (overrides): only its default counts.
        return _object_keys(template["parameters"][expression].get("default") or {}, template, None, None)
    raise AssertionError(f"cannot resolve app settings expression: {expression!r}")


def app_settings() -> set[str]:
    """Names of every app setting the template gives the Function App."""
    main = parse(INFRA / "main.bicep")
    names: set[str] = set()
    for module_name, module in main["modules"].items():
        path = INFRA / module["detail"]["path"]
        template = parse(path)
        for resource in template.get("resources", {}).values():
            config = resource["config"]
            if resource["type"] == "Microsoft.Web/sites/config" and config["name"] == "appsettings":
                names |= _object_keys(config["properties"], template, main, module_name)
    if not names:
        raise AssertionError("no Microsoft.Web/sites/config 'appsettings' resource found under infra/")
    return names


def sets_setting(setting: str, template_settings: set[str]) -> bool:
    """A connection setting may be identity-based: `X__credential`, `X__queueServiceUri`, ..."""
    return setting in template_settings or any(s.startswith(f"{setting}__") for s in template_settings)


def binding_expression_settings() -> set[str]:
    names: set[str] = set()
    for path in TRIGGERS.rglob("*.py"):
        names |= set(BINDING_EXPRESSION.findall(path.read_text()))
    return names


def environment_reads() -> set[str]:
    names: set[str] = set()
    for path in [ROOT / "function_app.py", *(ROOT / "integration").rglob("*.py")]:
        names |= set(ENVIRONMENT_READ.findall(path.read_text()))
    return names


def documented_settings() -> set[str]:
    """Setting names in the first column of the "## App settings" table of docs/configuration.md."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    match = re.search(r"^## App settings\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    if match is None:
        raise AssertionError("docs/configuration.md has no '## App settings' section")
    names: set[str] = set()
    for line in match.group(1).splitlines():
        cells = line.split("|")
        if line.startswith("|") and len(cells) > 2:
            names |= set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", cells[1]))
    return names


def local_settings_example() -> dict[str, str]:
    return json.loads((ROOT / "local.settings.example.json").read_text())["Values"]


def resources_of_type(resource_type: str) -> list[dict[str, Any]]:
    found = []
    for path in bicep_files():
        for resource in parse(path).get("resources", {}).values():
            if resource["type"] == resource_type and not resource.get("existing"):
                found.append(resource)
    return found


def properties(resource: dict[str, Any]) -> dict[str, Any]:
    config = resource["config"]
    # A conditional resource (`= if (...) {...}`) nests its body one level down.
    if "condition" in config and "config" in config:
        config = config["config"]
    return config.get("properties", {})
