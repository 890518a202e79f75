"""Every setting the code reads is deployed by the template, documented in docs/configuration.md and
present in local.settings.example.json. New settings (other flows add them) fail here until all three exist."""

from __future__ import annotations

import pytest

from shared.settings import Settings, load_settings
from shared.telemetry import CONNECTION_STRING_SETTING
from tests.infra.templates import (
    INFRA,
    app_settings,
    binding_expression_settings,
    documented_settings,
    environment_reads,
    local_settings_example,
    parse,
    sets_setting,
)

# Read by the code but deliberately not set in Azure, with the reason. The template must not set them.
LOCAL_ONLY = {
    # Base-URL override for the local Shopify emulator; an empty value is not a valid URL, so the
    # template leaves it out and the client talks to https://<SHOPIFY_SHOP_DOMAIN>.
    "SHOPIFY_ADMIN_URL",
}

# Settings read outside shared.settings.Settings.
OTHER_SETTINGS = {CONNECTION_STRING_SETTING}


def required_settings() -> list[str]:
    return sorted(set(Settings.model_fields) | binding_expression_settings() | environment_reads() | OTHER_SETTINGS)


def test_the_triggers_binding_expressions_are_found() -> None:
    assert "WEBHOOK_RETENTION_SCHEDULE" in binding_expression_settings()


@pytest.mark.parametrize("setting", required_settings())
def test_template_sets_it(setting: str) -> None:
    deployed = app_settings()
    if setting in LOCAL_ONLY:
        assert not sets_setting(setting, deployed), f"{setting} is local-only but the template sets it"
    else:
        assert sets_setting(setting, deployed), f"infra/ does not set app setting {setting}"


@pytest.mark.parametrize("setting", required_settings())
def test_docs_document_it(setting: str) -> None:
    assert setting in documented_settings(), f"docs/configuration.md's App settings table lacks {setting}"


@pytest.mark.parametrize("setting", required_settings())
def test_local_settings_example_has_it(setting: str) -> None:
    assert setting in local_settings_example(), f"local.settings.example.json lacks {setting}"


def test_identity_based_host_storage_is_complete() -> None:
    deployed = app_settings()
    assert "AzureWebJobsStorage" not in deployed  # no connection string: shared keys are disabled
    for suffix in ("credential", "clientId", "blobServiceUri", "queueServiceUri", "tableServiceUri"):
        assert f"AzureWebJobsStorage__{suffix}" in deployed, suffix
    assert {"APPLICATIONINSIGHTS_AUTHENTICATION_STRING", "AZURE_CLIENT_ID"} <= deployed


def test_flex_consumption_settings_are_absent() -> None:
    # Flex Consumption rejects these: the runtime is in functionAppConfig.
    deployed = app_settings()
    for name in (
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "FUNCTIONS_WORKER_PROCESS_COUNT",
    ):
        assert name not in deployed, name


def test_template_flow_defaults_equal_the_code_defaults() -> None:
    # The template writes every setting explicitly, so a default changed in shared/settings.py must be
    # changed in infra/main.bicep too; otherwise Azure silently runs with the old value.
    flow = parse(INFRA / "main.bicep")["variables"]["flowSettings"]["value"]
    code_defaults = Settings()
    for name, value in flow.items():
        if name in Settings.model_fields:
            deployed = load_settings({name: value})
            assert getattr(deployed, name) == getattr(code_defaults, name), name
