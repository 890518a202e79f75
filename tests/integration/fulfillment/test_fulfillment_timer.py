"""The timer function: its schedule setting and one run through app settings."""

from __future__ import annotations

from collections.abc import Iterator

import azure.functions as func
import pytest
from azure.functions.decorators.function_app import Function
from azure.functions.decorators.timer import TimerTrigger

from integration import bootstrap
from integration.triggers import fulfillment_timer
from tests.integration.fulfillment.conftest import D365_TOKEN, SHOPIFY_TOKEN, World


def timer_function() -> Function:
    app = func.FunctionApp()
    app.register_functions(fulfillment_timer.bp)
    [function] = app.get_functions()
    return function


def test_the_schedule_is_the_app_setting() -> None:
    trigger = timer_function().get_trigger()
    assert isinstance(trigger, TimerTrigger)
    assert trigger.schedule == "%FULFILLMENT_SYNC_SCHEDULE%"
    assert trigger.use_monitor is True


@pytest.fixture
def settings_env(app_env: dict[str, str], world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "SHOPIFY_ADMIN_URL": world.shopify_url,
        "SHOPIFY_ADMIN_TOKEN": SHOPIFY_TOKEN,
        "D365_URL": world.d365_url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": D365_TOKEN,
    }.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield
    bootstrap.reset()


def test_timer_run_syncs_posted_packing_slips(world: World, settings_env: None) -> None:
    order = world.order([("TSHIRT-1", 2)])
    world.post_slip(order, [(0, 1)], tracking=["794600000061"])

    class Timer:
        past_due = False

    timer_function().get_user_function()(Timer())

    summary = world.shopify_order(order)
    assert summary["display_fulfillment_status"] == "PARTIALLY_FULFILLED"
    assert summary["fulfillments"][0]["tracking"][0]["number"] == "794600000061"
