import pytest

from shared.settings import SettingsError, load_settings


def test_defaults_load_without_any_setting() -> None:
    settings = load_settings({})
    assert settings.SHOPIFY_API_VERSION == "2026-10"
    assert settings.WEBHOOK_MAX_BODY_BYTES > 0


def test_missing_settings_are_named() -> None:
    settings = load_settings({})
    with pytest.raises(SettingsError) as info:
        settings.require("SHOPIFY_API_SECRET", "D365_URL", "FEDEX_ACCOUNT_NUMBER")
    message = str(info.value)
    for name in ("SHOPIFY_API_SECRET", "D365_URL", "FEDEX_ACCOUNT_NUMBER"):
        assert name in message


@pytest.mark.parametrize(
    "name,value",
    [
        ("SHOPIFY_API_VERSION", "latest"),
        ("D365_URL", "not a url"),
        ("WEBHOOK_MAX_BODY_BYTES", "-5"),
        ("WEBHOOK_MAX_BODY_BYTES", "lots"),
        ("SHOPIFY_SHOP_DOMAIN", "https://shop.example/admin"),
    ],
)
def test_malformed_setting_names_the_setting_not_the_value(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings({name: value})
    assert name in str(info.value)


def test_secrets_are_not_printed() -> None:
    settings = load_settings({"SHOPIFY_API_SECRET": "s3cr3t-value", "D365_CLIENT_SECRET": "another-one"})
    text = repr(settings) + str(settings.model_dump())
    assert "s3cr3t-value" not in text and "another-one" not in text
    assert settings.webhook_secrets() == [b"s3cr3t-value"]


def test_rotation_secret_is_accepted() -> None:
    settings = load_settings({"SHOPIFY_API_SECRET": "new", "SHOPIFY_API_SECRET_PREVIOUS": "old"})
    assert settings.webhook_secrets() == [b"new", b"old"]


def test_settings_are_read_lazily_not_at_import() -> None:
    import importlib

    import function_app

    importlib.reload(function_app)  # importing the app reads no setting and touches no network


def test_blank_optional_urls_mean_unset() -> None:
    settings = load_settings({"SHOPIFY_ADMIN_URL": "", "D365_URL": "  ", "FEDEX_URL": ""})
    assert settings.SHOPIFY_ADMIN_URL is None and settings.D365_URL is None
    assert str(settings.FEDEX_URL).startswith("https://apis.fedex.com")
    with pytest.raises(SettingsError):
        settings.require("D365_URL")


@pytest.mark.parametrize(
    "reference",
    [
        "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/shopify-api-secret)",
        "  @microsoft.keyvault(VaultName=kv;SecretName=shopify-api-secret)",
    ],
)
def test_an_unresolved_key_vault_reference_counts_as_missing(reference: str) -> None:
    settings = load_settings(
        {"SHOPIFY_API_SECRET": reference, "SHOPIFY_API_SECRET_PREVIOUS": "old", "D365_URL": reference}
    )
    assert settings.unresolved == {"SHOPIFY_API_SECRET", "D365_URL"}
    assert settings.webhook_secrets() == []  # the previous secret is no fallback for a missing current one
    with pytest.raises(SettingsError) as info:
        settings.require("SHOPIFY_API_SECRET")
    assert "unresolved Key Vault reference: SHOPIFY_API_SECRET" in str(info.value)
    assert "vault.azure.net" not in str(info.value)
