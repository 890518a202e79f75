from datetime import UTC, datetime, timedelta

import pytest

from sandbox.harness import APP_ROOT as ROOT
from sandbox.host.config import load_host_json, parse_timespan, resolve
from sandbox.host.http import compile_route
from sandbox.host.timers import Schedule
from sandbox.tests.conftest import present


def test_timespan() -> None:
    assert parse_timespan("00:00:30") == timedelta(seconds=30)
    assert parse_timespan("1.02:03:04") == timedelta(days=1, hours=2, minutes=3, seconds=4)
    with pytest.raises(ValueError):
        parse_timespan("30s")


def test_route_templates() -> None:
    r = compile_route("/api/items/{id:int}")
    assert present(r.match("/api/items/42")).groupdict() == {"id": "42"}
    assert r.match("/API/Items/42")  # the host matches routes case-insensitively
    assert not r.match("/api/items/abc")
    opt = compile_route("/api/orders/{id?}")
    assert opt.match("/api/orders")
    assert present(opt.match("/api/orders/7")).group("id") == "7"
    rest = compile_route("/api/ops/{*path}")
    assert present(rest.match("/api/ops/a/b/c")).group("path") == "a/b/c"


def test_ncrontab_six_fields_seconds_first_utc() -> None:
    schedule = Schedule("0 */5 * * * *")
    start = datetime(2026, 1, 1, 0, 1, 30, tzinfo=UTC)
    assert schedule.next_after(start) == datetime(2026, 1, 1, 0, 5, 0, tzinfo=UTC)
    assert Schedule("*/2 * * * * *").period() == timedelta(seconds=2)
    assert Schedule("00:01:00").period() == timedelta(minutes=1)
    for bad in ("every minute", "* * *", "61 * * * * *"):
        with pytest.raises(ValueError):
            Schedule(bad)


def test_binding_expressions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SCHEDULE", "0 0 * * * *")
    assert resolve("%MY_SCHEDULE%") == "0 0 * * * *"
    monkeypatch.delenv("MY_SCHEDULE")
    with pytest.raises(ValueError, match="MY_SCHEDULE"):
        resolve("%MY_SCHEDULE%")


def test_project_host_json_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_host_json(ROOT)
    assert config.route_prefix == "api"
    assert config.queues.max_dequeue_count == 5
    assert config.queues.message_encoding == "base64"
    monkeypatch.setenv("AzureFunctionsJobHost__extensions__queues__visibilityTimeout", "00:00:00")
    monkeypatch.setenv("AzureFunctionsJobHost__extensions__queues__batchSize", "4")
    config = load_host_json(ROOT)
    assert config.queues.visibility_timeout == timedelta(0)
    assert config.queues.batch_size == 4
