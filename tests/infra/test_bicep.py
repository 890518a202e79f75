"""The Bicep under infra/: it parses, checkov's Azure checks pass, and the security-relevant
properties the deployment depends on are really there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.templates import INFRA, ROOT, bicep_files, parse, properties, resources_of_type


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_bicep_file_parses(path: Path) -> None:
    template = parse(path)
    assert template.get("resources") or template.get("modules")


def test_main_references_only_existing_modules() -> None:
    for name, module in parse(INFRA / "main.bicep")["modules"].items():
        assert (INFRA / module["detail"]["path"]).exists(), name


def _checkov() -> str:
    candidates = [
        os.environ.get("CHECKOV_BIN", ""),
        str(ROOT / ".venv-checkov" / "bin" / "checkov"),
        shutil.which("checkov") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise AssertionError(
        "checkov is not installed: run ./scripts/setup (it creates .venv-checkov from "
        "tests/infra/requirements-checkov.txt), or set CHECKOV_BIN"
    )


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    """One checkov run per session (it takes several seconds). --skip-download: no platform calls."""
    result = subprocess.run(
        [
            _checkov(),
            "--framework",
            "bicep",
            "--directory",
            str(INFRA),
            "--output",
            "json",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    assert result.stdout.strip(), f"checkov printed nothing (exit {result.returncode}): {result.stderr[-2000:]}"
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def test_checkov_azure_checks_pass(checkov_report: dict[str, Any]) -> None:
    summary = checkov_report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}): {c['check_name']}"
        for c in checkov_report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    assert summary["parsing_errors"] == 0, "checkov could not parse every .bicep file"
    assert summary["passed"] > 20, summary


def test_every_checkov_suppression_is_justified(checkov_report: dict[str, Any]) -> None:
    for check in checkov_report["results"]["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason) > 20 and reason != "No comment provided", check["check_id"]


def _one(resource_type: str) -> dict[str, Any]:
    found = resources_of_type(resource_type)
    assert len(found) == 1, f"{resource_type}: {len(found)}"
    return found[0]


def test_storage_is_identity_only() -> None:
    props = properties(_one("Microsoft.Storage/storageAccounts"))
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True


def test_function_app_is_flex_consumption_python_313_https_only() -> None:
    plan = _one("Microsoft.Web/serverfarms")["config"]
    assert plan["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    site = _one("Microsoft.Web/sites")["config"]
    props = site["properties"]
    assert props["httpsOnly"] is True
    assert props["keyVaultReferenceIdentity"] == "identityId"
    assert site["identity"]["type"] == "UserAssigned"
    assert props["siteConfig"]["minTlsVersion"] == "1.2"
    assert props["siteConfig"]["ftpsState"] == "Disabled"
    app_config = props["functionAppConfig"]
    assert app_config["runtime"] == {"name": "python", "version": "3.13"}
    assert app_config["deployment"]["storage"]["authentication"]["type"] == "UserAssignedIdentity"
    assert "maximumInstanceCount" in app_config["scaleAndConcurrency"]
    policies = resources_of_type("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    assert sorted((p["config"]["name"], properties(p)["allow"]) for p in policies) == [("ftp", False), ("scm", False)]


def test_key_vault_is_rbac_with_purge_protection() -> None:
    props = properties(_one("Microsoft.KeyVault/vaults"))
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True


def test_secrets_come_from_secure_parameters() -> None:
    template = parse(INFRA / "core" / "keyvault.bicep")
    secure = {
        name
        for name, p in template["parameters"].items()
        if any(d.get("type") == "secure" for d in p.get("decorators", []))
    }
    assert {"shopifyAdminToken", "shopifyApiSecret", "d365ClientSecret", "fedexClientSecret"} <= secure
    secret_values = {
        properties(r)["value"]
        for r in template["resources"].values()
        if r["type"] == "Microsoft.KeyVault/vaults/secrets"
    }
    assert secret_values <= secure
    main = parse(INFRA / "main.bicep")
    for name in ("shopifyAdminToken", "shopifyApiSecret", "d365ClientSecret", "fedexClientSecret"):
        assert any(d.get("type") == "secure" for d in main["parameters"][name]["decorators"]), name


def test_application_insights_has_local_auth_disabled() -> None:
    assert properties(_one("Microsoft.Insights/components"))["DisableLocalAuth"] is True


def test_managed_identity_gets_exactly_the_needed_roles() -> None:
    rbac = parse(INFRA / "app" / "rbac.bicep")
    roles = rbac["variables"]["roles"]["value"]
    assert set(roles.values()) == {
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88",  # Storage Queue Data Contributor
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",  # Storage Table Data Contributor
        "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
        "3913510d-42f4-4e42-8a64-420c390055eb",  # Monitoring Metrics Publisher
    }
    assignments = [r for r in rbac["resources"].values() if r["type"] == "Microsoft.Authorization/roleAssignments"]
    assert len(assignments) == 3  # the storage loop (3 roles), Key Vault, Application Insights


def test_outputs_name_the_endpoints_shopify_needs() -> None:
    outputs = parse(INFRA / "main.bicep")["outputs"]
    values = {name: output["value"] for name, output in outputs.items()}
    assert values["SHOPIFY_WEBHOOK_URL"] == "${baseUrl}/api/shopify/webhooks"
    assert values["SHOPIFY_CARRIER_RATES_URL"] == "${baseUrl}/api/shopify/carrier-rates"
    assert values["OPS_CONSOLE_URL"] == "${baseUrl}/api/ops/console"
    assert {"AZURE_FUNCTION_APP_NAME", "AZURE_KEY_VAULT_NAME"} <= set(outputs)
    assert parse(INFRA / "main.bicep")["variables"]["baseUrl"]["value"] == "https://${api.outputs.defaultHostName}"


def test_parameters_file_names_only_template_parameters() -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(parameters) <= set(parse(INFRA / "main.bicep")["parameters"])


def test_azure_yaml_deploys_this_folder_as_a_python_function() -> None:
    text = (ROOT / "azure.yaml").read_text()
    for line in ("  api:", "    project: .", "    language: python", "    host: function"):
        assert f"\n{line}\n" in text, line


def test_funcignore_keeps_the_app_and_drops_the_rest() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".funcignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (
        "tests/",
        "sandbox/",
        "infra/",
        ".venv/",
        "node_modules/",
        ".local/",
        "bench/",
        "scripts/",
        "*.md",
        "local.settings*.json",
        "package.json",
        "package-lock.json",
        ".ci/",
        ".git*",
        "requirements-dev.txt",
        "requirements.in",
        "requirements-dev.in",
        "docker-compose.yml",
    ):
        assert required in patterns, required
    for kept in ("function_app.py", "host.json", "requirements.txt", "integration/", "shared/", "config/"):
        assert kept not in patterns, kept


def test_opentelemetry_mode_matches_the_worker_configuration() -> None:
    # host.json telemetryMode=OpenTelemetry is only half of it: the Python worker exports its spans and
    # logs (and instruments httpx) when PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true and the distro
    # is installed. All three go together.
    host = json.loads((ROOT / "host.json").read_text())
    assert host.get("telemetryMode") == "OpenTelemetry"
    configs = resources_of_type("Microsoft.Web/sites/config")
    [app_settings] = [r for r in configs if r["config"]["name"] == "appsettings"]
    settings = properties(app_settings)["function"]["parameters"]["arg_2"]
    assert settings["PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"] == "true"
    requirements = (ROOT / "requirements.txt").read_text().lower()
    assert "azure-monitor-opentelemetry" in requirements
