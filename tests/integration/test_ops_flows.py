"""Flow operations on the ops API: order reconciliation for a date range (dry run, then backfill),
packing-slip retry ids; against the Shopify emulator and Azurite."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from integration import bootstrap
from integration.ops.api import Request
from integration.orders import records as rec
from sandbox.emulators.serve import RunningServer, start_in_thread
from sandbox.emulators.shopify.app import create_app as create_shopify
from sandbox.harness.demo.sample_orders import erp_ready_order
from shared import queues
from shared.storage import Storage


@pytest.fixture(scope="module")
def shop() -> Iterator[RunningServer]:
    server = start_in_thread(create_shopify(), name="shopify")
    yield server
    server.stop()


@pytest.fixture
def env(app_env, shop: RunningServer, monkeypatch: pytest.MonkeyPatch, storage: Storage):
    monkeypatch.setenv("SHOPIFY_ADMIN_URL", shop.url)
    monkeypatch.setenv("SHOPIFY_ADMIN_TOKEN", "shpat_local_dev")
    bootstrap.reset()
    httpx.post(f"{shop.url}/_emulator/reset")
    storage.queue(queues.ORDERS).clear_messages()
    return app_env


def call(storage: Storage, method: str, path: str, **params: str) -> tuple[int, dict]:
    return bootstrap.ops_router().dispatch(storage, Request(method, path, params, b""))


def queued_ids(storage: Storage) -> list[str]:
    q = storage.raw_queue(queues.ORDERS)
    ids = []
    while batch := list(q.receive_messages(max_messages=32, visibility_timeout=30)):
        for m in batch:
            ids.append(json.loads(base64.b64decode(m.content))["resource_id"])
            q.delete_message(m)
    return ids


def test_reconcile_dry_run_then_backfill(env, shop: RunningServer, storage: Storage) -> None:
    created = []
    for n in range(3):
        order = httpx.post(
            f"{shop.url}/_emulator/orders",
            params={"webhook": "false"},
            json={"order": erp_ready_order(order_number=900 + n)},
        ).json()["order"]
        created.append(str(order["id"]))
    records = rec.OrderRecords(storage)  # Azurite lives for the session: the id may have a record already
    record = records.get(created[0]) or rec.OrderRecord(shopify_order_id=created[0])
    record.status = rec.CREATED
    records.save(record)
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    status, report = call(storage, "POST", "reconcile/orders", since=since)
    assert status == 200 and report["dry_run"] is True and report["seen"] >= 3
    missing = set(created[1:])
    assert missing <= set(report["to_queue"]) and created[0] not in report["to_queue"]
    assert queued_ids(storage) == []  # a dry run changes nothing
    status, report = call(storage, "POST", "reconcile/orders", since=since, dry_run="false")
    assert report["queued"] == len(report["to_queue"])
    assert missing <= set(queued_ids(storage))


def test_reconcile_rejects_bad_ranges(env, storage: Storage) -> None:
    assert call(storage, "POST", "reconcile/orders", since="yesterday")[0] == 400
    assert call(storage, "POST", "reconcile/orders", since="2026-11-02", until="2026-11-01")[0] == 400


def test_packing_slip_retry_needs_a_full_id(env, storage: Storage) -> None:
    status, body = bootstrap.ops_router().dispatch(
        storage,
        Request(
            "POST",
            "exceptions/retry",
            {},
            json.dumps({"items": [{"entity": "packing_slip", "id": "no-colon"}]}).encode(),
        ),
    )
    assert status == 200 and body["results"][0]["ok"] is False
    assert "sales order" in body["results"][0]["error"]


def test_cli_reconcile_is_a_dry_run_by_default(env, shop: RunningServer, storage: Storage) -> None:
    from integration.cli import app

    httpx.post(f"{shop.url}/_emulator/orders", params={"webhook": "false"}, json={"order": erp_ready_order()})
    result = CliRunner().invoke(app, ["reconcile", "--since", (datetime.now(UTC) - timedelta(hours=1)).isoformat()])
    assert result.exit_code == 0, result.output
    assert '"dry_run": true' in result.output
    assert queued_ids(storage) == []


def test_mapping_overrides_via_api_and_cli(env, storage: Storage) -> None:
    from integration.cli import app
    from integration.mappings import load_mappings

    status, body = bootstrap.ops_router().dispatch(
        storage, Request("PUT", "mappings/skus/ABC-1/blue", {}, json.dumps({"value": "D0001"}).encode())
    )
    assert status == 200, body
    assert load_mappings(storage).item_number("ABC-1/blue", None) == "D0001"
    status, listed = call(storage, "GET", "mappings", section="skus")
    assert {"section": "skus", "key": "ABC-1/blue", "value": "D0001"} in listed["overrides"]
    assert bootstrap.ops_router().dispatch(storage, Request("PUT", "mappings/nope/x", {}, b'{"value": 1}'))[0] == 404
    assert bootstrap.ops_router().dispatch(storage, Request("PUT", "mappings/skus/x", {}, b'{"nope": 1}'))[0] == 400
    result = CliRunner().invoke(app, ["mapping", "shipping_methods", "Drone", "2DAY"])
    assert result.exit_code == 0, result.output
    # The CLI wrote through its own Storage (another process in real use): this one's cached overrides
    # see it after MAPPINGS_CACHE_SECONDS, a retry (fresh) at once.
    assert load_mappings(storage, fresh=True).delivery_mode("Drone", "Drone") == "2DAY"
    assert bootstrap.ops_router().dispatch(storage, Request("DELETE", "mappings/skus/ABC-1/blue", {}, b""))[0] == 200
    assert load_mappings(storage).item_number("ABC-1/blue", None) == "ABC-1/blue"
