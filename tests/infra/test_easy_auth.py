"""App Service Authentication (Easy Auth) in infra/: Entra ID in front of everything but the
endpoints whose callers cannot sign in (Shopify: HMAC; F&O business events: a function key; the
anonymous health probe). The excluded paths are checked against the HTTP routes the code declares, so
a new anonymous endpoint, or an ops route slipping into the exclusions, fails here."""

from __future__ import annotations

from functools import cache

import azure.functions as func
from azure.functions.decorators.http import HttpTrigger

from function_app import app
from tests.infra.templates import INFRA, parse, properties, resources_of_type


def _auth_settings() -> dict:
    found = [r for r in resources_of_type("Microsoft.Web/sites/config") if r["config"]["name"] == "authsettingsV2"]
    assert len(found) == 1, "infra/ must configure App Service Authentication (authsettingsV2) once"
    return properties(found[0])


def _excluded_paths() -> list[str]:
    return list(parse(INFRA / "app" / "function.bicep")["variables"]["easyAuthExcludedPaths"]["value"])


@cache
def _routes() -> dict[str, str]:
    """route -> auth level of every HTTP function of the app."""
    routes = {}
    for function in app.get_functions():
        trigger = function.get_trigger()
        if isinstance(trigger, HttpTrigger):
            level = trigger.auth_level.value if isinstance(trigger.auth_level, func.AuthLevel) else trigger.auth_level
            routes["/api/" + str(trigger.route).strip("/")] = str(level).lower()
    return routes


def test_easy_auth_requires_entra_id_sign_in() -> None:
    settings = _auth_settings()
    assert settings["platform"]["enabled"] is True
    assert settings["globalValidation"]["requireAuthentication"] is True
    assert settings["globalValidation"]["excludedPaths"] == "easyAuthExcludedPaths"
    aad = settings["identityProviders"]["azureActiveDirectory"]
    assert aad["enabled"] is True and aad["registration"]["clientId"] == "opsAuthClientId"


def test_only_the_shopify_fo_and_health_endpoints_are_excluded() -> None:
    excluded = _excluded_paths()
    routes = _routes()
    assert sorted(excluded) == sorted(
        ["/api/shopify/webhooks", "/api/shopify/carrier-rates", "/api/d365/events/packing-slip", "/api/health"]
    )
    for path in excluded:
        assert path in routes, f"{path} is excluded from Easy Auth but no function serves it"
        assert not path.startswith("/api/ops"), path
    # Every anonymous function is one of the excluded ones, except the console, which Easy Auth protects.
    anonymous = {route for route, level in routes.items() if level == "anonymous"}
    assert anonymous - set(excluded) == {"/api/ops/console/{file?}"}


def test_the_fo_event_endpoint_needs_a_function_key() -> None:
    assert _routes()["/api/d365/events/packing-slip"] == func.AuthLevel.FUNCTION.value.lower()
    assert _routes()["/api/ops/{*path}"] == func.AuthLevel.FUNCTION.value.lower()


def test_the_checkov_skip_no_longer_claims_easy_auth_would_reject_shopify() -> None:
    text = (INFRA / "app" / "function.bicep").read_text()
    assert "would reject Shopify" not in text
