"""The ops API router and the CLI against a real Azurite."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from typer.testing import CliRunner

from integration import bootstrap
from integration.cases import ExceptionStore
from integration.ops.api import Request
from integration.webhooks.envelope import Envelope
from shared import queues
from shared.audit import AuditLog
from shared.storage import Storage


def call(storage: Storage, method: str, path: str, body=None, **params) -> tuple[int, dict]:
    return bootstrap.ops_router().dispatch(
        storage,
        Request(
            method, path, {k: str(v) for k, v in params.items()}, json.dumps(body).encode() if body is not None else b""
        ),
    )


def drain(storage: Storage, queue: str) -> list[Envelope]:
    q = storage.raw_queue(queue)
    out = []
    while batch := list(q.receive_messages(max_messages=32, visibility_timeout=30)):
        for m in batch:
            out.append(Envelope.from_message(base64.b64decode(m.content)))
            q.delete_message(m)
    return out


@pytest.fixture
def clean(storage: Storage) -> Storage:
    for name in queues.ALL:
        storage.queue(name).clear_messages()
        storage.raw_queue(queues.poison(name)).clear_messages()
    return storage


def test_exceptions_list_filter_and_retry(clean: Storage) -> None:
    store = ExceptionStore(clean)
    oid = str(uuid.uuid4().int)[:12]
    store.open("order", oid, "UNKNOWN_SKU", 'SKU "ABC-1" is not in F&O', {"sku": "ABC-1"})
    status, data = call(clean, "GET", "exceptions", entity="order", reason="UNKNOWN_SKU")
    assert status == 200 and oid in [i["entity_id"] for i in data["items"]]
    status, data = call(clean, "GET", f"exceptions/order/{oid}")
    assert data["values"] == {"sku": "ABC-1"}
    status, data = call(clean, "POST", f"exceptions/order/{oid}/retry")
    assert status == 200 and data["results"][0]["ok"]
    [envelope] = drain(clean, queues.ORDERS)
    assert envelope.topic == queues.RESYNC and envelope.resource_id == oid


def test_retry_by_reason_dry_run_changes_nothing(clean: Storage) -> None:
    reason = f"R{uuid.uuid4().hex[:6].upper()}"
    store = ExceptionStore(clean)
    for i in range(3):
        store.open("order", f"{reason}-{i}", reason, "blocked")
    status, data = call(clean, "POST", "exceptions/retry", reason=reason, dry_run="true")
    assert status == 200 and len(data["would_retry"]) == 3
    assert drain(clean, queues.ORDERS) == []
    status, data = call(clean, "POST", "exceptions/retry", reason=reason)
    assert len(data["results"]) == 3 and len(drain(clean, queues.ORDERS)) == 3


def test_poison_replay(clean: Storage) -> None:
    poison = clean.raw_queue("orders-poison")
    for i in range(3):
        poison.send_message(base64.b64encode(f"msg-{i}".encode()).decode())
    status, data = call(clean, "POST", "queues/orders/replay-poison", dry_run="true")
    assert data == {"queue": "orders", "dry_run": True, "would_replay": 3}
    status, data = call(clean, "POST", "queues/orders/replay-poison", limit=2)
    assert data["replayed"] == 2
    _, depths = call(clean, "GET", "queues")
    assert depths["orders"] == {"messages": 2, "poison": 1}


def test_timeline_and_dashboard(clean: Storage) -> None:
    oid = str(uuid.uuid4().int)[:10]
    AuditLog(clean).record("order", oid, "validated", "ok")
    AuditLog(clean).record("order", oid, "create", "created", target="SH1")
    status, data = call(clean, "GET", f"timeline/order/{oid}")
    assert [e["step"] for e in data["events"]] == ["validated", "create"]
    status, dash = call(clean, "GET", "dashboard")
    assert dash["synced"].get("order", 0) >= 1 and "orders" in dash["queues"]


@pytest.mark.parametrize(
    "method,path,params,status",
    [
        ("GET", "nope", {}, 404),
        ("DELETE", "exceptions", {}, 405),
        ("GET", "exceptions", {"limit": "x"}, 400),
        ("GET", "exceptions", {"limit": "100000"}, 400),
        ("POST", "queues/nope/replay-poison", {}, 404),
        ("POST", "resync/widget/1", {}, 404),
        ("GET", "exceptions/order/does-not-exist", {}, 404),
    ],
)
def test_errors_are_clear(clean: Storage, method, path, params, status) -> None:
    code, body = call(clean, method, path, **params)
    assert code == status and body["error"]


def test_bad_retry_body(clean: Storage) -> None:
    assert bootstrap.ops_router().dispatch(clean, Request("POST", "exceptions/retry", {}, b"{nope"))[0] == 400
    assert call(clean, "POST", "exceptions/retry", body={"items": "x"})[0] == 400


def test_openapi_lists_every_route() -> None:
    doc = bootstrap.ops_router().openapi()
    assert doc["openapi"].startswith("3.")
    assert "/api/ops/exceptions/{entity}/{id}/retry" in doc["paths"]


def test_cli_uses_the_same_paths(clean: Storage, app_env) -> None:
    from integration.cli import app

    ExceptionStore(clean).open("order", "cli-1", "UNMAPPED_SHIPPING_METHOD", "no delivery mode for 'Drone'")
    runner = CliRunner()
    result = runner.invoke(app, ["exceptions", "--reason", "UNMAPPED_SHIPPING_METHOD"])
    assert result.exit_code == 0, result.output
    assert "cli-1" in result.output
    result = runner.invoke(app, ["retry", "order", "cli-1"])
    assert result.exit_code == 0 and "queued on orders" in result.output
    result = runner.invoke(app, ["replay-poison", "nope"])
    assert result.exit_code == 1 and "unknown queue" in result.output


def test_refund_ids_with_a_slash_can_be_retried(clean: Storage) -> None:
    ExceptionStore(clean).open("refund", "820982911946154508/509562969", "refund_total_mismatch", "differs by 0.01")
    status, data = call(clean, "GET", "exceptions/refund/820982911946154508/509562969")
    assert status == 200 and data["reason_code"] == "refund_total_mismatch"
    status, data = call(clean, "POST", "exceptions/refund/820982911946154508/509562969/retry")
    assert status == 200 and data["results"][0]["ok"], data
    [envelope] = drain(clean, queues.REFUNDS)
    assert envelope.resource_id == "820982911946154508/509562969"
