"""The business-event path: POST /api/d365/events/packing-slip runs the same flow for one slip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import azure.functions as func
import pytest
from azure.functions.decorators.http import HttpTrigger

from integration import bootstrap
from integration.fulfillment.entry import handle_packing_slip_event
from integration.triggers import fulfillment_events
from shared import tables
from tests.conftest import sample
from tests.integration.fulfillment.conftest import D365_TOKEN, SHOPIFY_TOKEN, World

ENVELOPE = sample("d365/ms_jp_blog__business_event_batch_job_started_schema_sample.json")


def event(sales_order: str, slip: str, control_number: int = 5637145330) -> dict[str, Any]:
    body = dict(ENVELOPE)
    for name in (
        "AdminEmailId",
        "JobDescription",
        "JobEndUtcDateTime",
        "JobExecutedByEmailId",
        "JobId",
        "JobOwnerEmailId",
        "JobStatus",
    ):
        body.pop(name, None)  # the batch-job event's own fields; ours carries the packing slip instead
    body.update(
        BusinessEventId="PackingSlipPostedBusinessEvent",
        BusinessEventLegalEntity="USMF",
        ControlNumber=control_number,
        EventId="D60A8657-E87C-43A8-8D7D-826EBF0490D7",
        EventTime="/Date(1570769681000)/",
        EventTimeIso8601="2019-10-11T04:54:41Z",
        SalesId=sales_order,
        PackingSlipId=slip,
    )
    return body


def test_event_syncs_the_slip_and_a_duplicate_event_changes_nothing(world: World) -> None:
    order = world.order([("TSHIRT-1", 2)])
    slip = world.post_slip(order, [(0, 1)], tracking=["794600000051"])
    sync = world.sync()
    raw = json.dumps(event(order.sales_order, slip)).encode()

    first = handle_packing_slip_event(raw, sync, "usmf")
    second = handle_packing_slip_event(raw, sync, "usmf")

    assert first.status == 200 and first.body["results"][0]["outcome"] == "created"
    assert first.body["results"][0]["shopify_status"] == "PARTIALLY_FULFILLED"
    assert second.status == 200 and second.body["results"][0]["outcome"] == "unchanged"
    assert len(world.shopify_order(order)["fulfillments"]) == 1
    # The timer finds the same slip afterwards and leaves it alone.
    assert sync.poll().get("created", 0) == 0


def test_bad_events_are_400_and_unavailable_shopify_is_503(world: World) -> None:
    sync = world.sync()
    assert handle_packing_slip_event(b"not json", sync, "usmf").status == 400
    assert handle_packing_slip_event(json.dumps({"BusinessEventId": "x"}).encode(), sync, "usmf").status == 400
    order = world.order([("TSHIRT-1", 1)])
    slip = world.post_slip(order)
    world.shopify_ops.put("/_emulator/faults", json={"rate_503": 1.0, "paths": "graphql"})
    answer = handle_packing_slip_event(json.dumps(event(order.sales_order, slip)).encode(), sync, "usmf")
    world.shopify_ops.delete("/_emulator/faults")
    assert answer.status == 503


@pytest.fixture
def function_env(app_env: dict[str, str], world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in {
        "SHOPIFY_ADMIN_URL": world.shopify_url,
        "SHOPIFY_ADMIN_TOKEN": SHOPIFY_TOKEN,
        "D365_URL": world.d365_url,
        "D365_LEGAL_ENTITY": "usmf",
        "D365_TOKEN": D365_TOKEN,
        "FULFILLMENT_NOTIFY_CUSTOMER": "false",
    }.items():
        monkeypatch.setenv(key, value)
    bootstrap.reset()
    yield
    bootstrap.reset()


def test_http_function_runs_the_flow_from_app_settings(world: World, function_env: None) -> None:
    order = world.order([("A0001", 1)])
    slip = world.post_slip(order, tracking=["794600000052"], tracking_url="https://track.example/{tracking}")
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    app.register_functions(fulfillment_events.bp)
    [function] = app.get_functions()
    handler = function.get_user_function()
    request = func.HttpRequest(
        "POST",
        "/api/d365/events/packing-slip",
        headers={"Content-Type": "application/json"},
        body=json.dumps(event(order.sales_order, slip)).encode(),
    )

    response = handler(request)

    assert response.status_code == 200, response.get_body()
    assert json.loads(response.get_body())["results"][0]["outcome"] == "created"
    [fulfillment] = world.shopify_order(order)["fulfillments"]
    # F&O's own tracking URL wins over the FedEx one built from the number.
    assert fulfillment["tracking"] == [
        {"company": "FedEx", "number": "794600000052", "url": "https://track.example/794600000052"}
    ]
    trigger = function.get_trigger()
    assert isinstance(trigger, HttpTrigger)
    assert (trigger.route, trigger.auth_level) == ("d365/events/packing-slip", func.AuthLevel.FUNCTION)


def _slip_rows(world: World, sales_order: str) -> list:
    return [
        r
        for r in world.storage.table(tables.FULFILLMENT_SYNC).query_entities("PartitionKey ne ''")
        if sales_order in str(r)
    ]


@pytest.mark.parametrize(
    "body,status",
    [
        (lambda: [event(f"JUNK-{i}", "PS-1") for i in range(51)], 413),
        (lambda: event("S" * 5000, "PS-1"), 400),
        (lambda: event("SO-1", "P\x00S"), 400),
        (lambda: event("SO-\ud800", "PS-1"), 400),
        (lambda: "a string", 400),
        (lambda: [], 400),
    ],
)
def test_hostile_event_bodies_are_4xx_and_write_nothing(world: World, body, status: int) -> None:
    answer = handle_packing_slip_event(json.dumps(body()).encode(), world.sync(), "usmf")
    assert answer.status == status and answer.body["reason"]
    assert not _slip_rows(world, "JUNK-") and not _slip_rows(world, "SSSSSSSS")


def test_an_event_for_a_slip_fo_does_not_have_records_nothing(world: World) -> None:
    answer = handle_packing_slip_event(
        json.dumps([event("JUNKSO-9", f"PS-{i}") for i in range(50)]).encode(), world.sync(), "usmf"
    )
    assert answer.status == 200
    assert {r["outcome"] for r in answer.body["results"]} == {"not_found"}
    assert not _slip_rows(world, "JUNKSO-9")
