"""The timer function and ``run_inventory_sync`` through app settings: a change of on-hand in the F&O
emulator shows up at the right Shopify location after one timer run, and only it is sent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import pytest
from azure.functions.decorators.function_app import Function
from azure.functions.decorators.timer import TimerTrigger

from integration.inventory.service import run_inventory_sync
from integration.ops.api import Request, dispatch
from integration.ops.flows import register as register_flow_routes
from integration.triggers import inventory_timer
from shared.settings import SettingsError, reset_settings_cache
from tests.integration.inventory.conftest import BASE_CONFIG, D365_TOKEN, SKUS, TOKEN, World


def timer_function() -> Function:
    app = func.FunctionApp()
    app.register_functions(inventory_timer.bp)
    [function] = app.get_functions()
    return function


def test_default_schedule_is_every_five_minutes() -> None:
    trigger = timer_function().get_trigger()
    assert isinstance(trigger, TimerTrigger)
    assert trigger.schedule == inventory_timer.DEFAULT_SCHEDULE == "0 */5 * * * *"
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
    reset_settings_cache()
    yield config
    reset_settings_cache()


class Timer:
    past_due = False


def test_one_timer_run_publishes_the_change(world: World, settings_env: Path) -> None:
    world.add_items(SKUS)
    assert run_inventory_sync().pushed == len(SKUS) * 2
    world.set_on_hand("SNOWBOARD-GREEN", "21", 42)
    world.clear_logs()

    timer_function().get_user_function()(Timer())

    assert world.levels()[("SNOWBOARD-GREEN", "East Warehouse")]["on_hand"] == 42
    log = world.shopify_log()
    assert log["counts"]["graphql inventorySetQuantities"] == 1
    sent = [e for e in log["recent"] if e["operation"] == "inventorySetQuantities"]
    assert len(sent) == 1 and sent[0]["outcome"] == "ok"
    assert run_inventory_sync(full=True).pushed == len(SKUS) * 2  # the on-demand full resync


def test_a_bad_config_fails_loudly_naming_it(world: World, settings_env: Path) -> None:
    settings_env.write_text(json.dumps({"locations": [{"shopify_location": "Nowhere", "warehouses": ["11"]}]}))
    with pytest.raises(SettingsError, match="no location named 'Nowhere'"):
        run_inventory_sync()
    settings_env.write_text("{")
    with pytest.raises(SettingsError, match="INVENTORY_CONFIG_PATH"):
        run_inventory_sync()


def test_the_ops_resync_route_answers_with_the_run_summary(world: World, settings_env: Path) -> None:
    world.add_items(SKUS)
    register_flow_routes()
    status, summary = dispatch(world.storage, Request("POST", "inventory/resync", {}, b""))
    assert status == 200
    assert (summary["status"], summary["full"], summary["pushed"]) == ("done", True, len(SKUS) * 2)
    assert type(summary["skipped"]) is dict and isinstance(summary["shopify_cost"], float)  # JSON-ready fields
