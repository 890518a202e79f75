"""The Shopify API version is named in one place (shared/settings.py); every file that carries a
default follows it."""

from __future__ import annotations

import json
import re

from shared.settings import SHOPIFY_API_VERSION_DEFAULT, SHOPIFY_API_VERSION_MINIMUM, Settings
from tests.infra.templates import INFRA, ROOT


def test_settings_default_is_the_target() -> None:
    assert Settings().SHOPIFY_API_VERSION == SHOPIFY_API_VERSION_DEFAULT == "2026-10"
    assert SHOPIFY_API_VERSION_MINIMUM <= SHOPIFY_API_VERSION_DEFAULT


def test_local_settings_example_follows() -> None:
    values = json.loads((ROOT / "local.settings.example.json").read_text())["Values"]
    assert values["SHOPIFY_API_VERSION"] == SHOPIFY_API_VERSION_DEFAULT


def test_bicep_and_parameters_follow() -> None:
    bicep = (INFRA / "main.bicep").read_text()
    assert re.search(r"param shopifyApiVersion string = '([^']+)'", bicep)[1] == SHOPIFY_API_VERSION_DEFAULT  # type: ignore[index]
    parameters = (INFRA / "main.parameters.json").read_text()
    assert f"SHOPIFY_API_VERSION={SHOPIFY_API_VERSION_DEFAULT}" in parameters


def test_no_version_string_is_hard_coded_in_the_app() -> None:
    literal = re.compile(r"""["']20\d\d-(01|04|07|10)["']""")
    for path in [*(ROOT / "integration").rglob("*.py"), ROOT / "function_app.py"]:
        assert not literal.search(path.read_text()), path
