"""The timer function and ``bootstrap.inventory_sync()`` through app settings: a change of on-hand in the F&O
emulator shows up at the right Shopify location after one timer run, and only it is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import pytest
from azure.functions.decorators.function_app import Function
from azure.functions.decorators.timer import TimerTrigger

from integration import bootstrap
from integration.ops.api import Request
from integration.triggers import inventory_timer
from shared.settings import SettingsError
from tests.integration.inventory.conftest import BASE_CONFIG, D365_TOKEN, SKUS, TOKEN, World


def timer_function() -> Function:
    app = func.FunctionApp()
    app.register_functions(inventory_timer.bp)
    [function] = app.get_functions()
    return function


def test_the_schedule_is_the_app_setting() -> None:
    trigger = timer_function().get_trigger()
    assert isinstance(trigger, TimerTrigger)
    assert trigger.schedule == "%INVENTORY_SYNC_SCHEDULE%"
    assert trigger.use_monitor is True and trigger.run_on_startup is False


@pytest.fixture
def settings_env(
    app_env: dict[str, str], world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    config = tmp_path / "inventory.json"
    config.write_text(json.dumps(BASE_CONFIG))
    for key, value in {
        "SHOPIFY_ADMIN_URL": world.shop_url,
        "SHOPIFY_ADMIN_TOKEN": TOKEN,
        "SHOPIFY_API_VERSION": "2026-04",
        "D365_URL": world.d365_url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": D365_TOKEN,
        "INVENTORY_CONFIG_PATH": str(config),
    }.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield config
    bootstrap.reset()


class Timer:
    past_due = False


def test_one_timer_run_publishes_the_change(world: World, settings_env: Path) -> None:
    world.add_items(SKUS)
    assert bootstrap.inventory_sync().run().pushed == len(SKUS) * 2
    world.set_on_hand("SNOWBOARD-GREEN", "21", 42)
    world.clear_logs()

    timer_function().get_user_function()(Timer())

    assert world.levels()[("SNOWBOARD-GREEN", "East Warehouse")]["on_hand"] == 42
    log = world.shopify_log()
    assert log["counts"]["graphql inventorySetQuantities"] == 1
    sent = [e for e in log["recent"] if e["operation"] == "inventorySetQuantities"]
    assert len(sent) == 1 and sent[0]["outcome"] == "ok"
    assert bootstrap.inventory_sync().run(full=True).pushed == len(SKUS) * 2  # the on-demand full resync


def test_a_bad_config_fails_loudly_naming_it(world: World, settings_env: Path) -> None:
    settings_env.write_text(json.dumps({"locations": [{"shopify_location": "Nowhere", "warehouses": ["11"]}]}))
    with pytest.raises(SettingsError, match="no location named 'Nowhere'"):
        bootstrap.inventory_sync().run()
    settings_env.write_text("{")
    with pytest.raises(SettingsError, match="INVENTORY_CONFIG_PATH"):
        bootstrap.inventory_sync().run()


def test_the_ops_resync_route_answers_with_the_run_summary(world: World, settings_env: Path) -> None:
    world.add_items(SKUS)
    status, summary = bootstrap.ops_router().dispatch(world.storage, Request("POST", "inventory/resync", {}, b""))
    assert status == 200
    assert (summary["status"], summary["full"], summary["pushed"]) == ("done", True, len(SKUS) * 2)
    assert type(summary["skipped"]) is dict and isinstance(summary["shopify_cost"], float)  # JSON-ready fields
