"""The local host's fidelity to the Functions host, over real HTTP and a real Azurite."""

from __future__ import annotations

import base64
import uuid

import httpx

from sandbox.host.process import HostProcess
from sandbox.tests.conftest import Sdk


def test_function_auth_level_needs_a_key(test_host: HostProcess) -> None:
    url = f"{test_host.url}/api/items/7"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, params={"code": "wrong"}).status_code == 401
    ok = httpx.get(url, params={"code": "fkey", "q": "x"})
    assert ok.status_code == 200
    assert ok.json() == {"id": 7, "q": "x", "function": "get_item", "has_trace": True}
    assert httpx.get(url, headers={"x-functions-key": "mkey"}).status_code == 200  # master key works too


def test_admin_level_needs_the_master_key(test_host: HostProcess) -> None:
    url = f"{test_host.url}/api/admin-only"
    assert httpx.get(url, params={"code": "fkey"}).status_code == 401
    assert httpx.get(url, params={"code": "mkey"}).text == "admin"


def test_route_constraints_methods_and_unknown_routes(test_host: HostProcess) -> None:
    assert httpx.get(f"{test_host.url}/api/items/abc", params={"code": "fkey"}).status_code == 404
    assert httpx.post(f"{test_host.url}/api/items/1", params={"code": "fkey"}).status_code == 405
    assert httpx.get(f"{test_host.url}/api/nothing-here").status_code == 404


def test_async_function_and_crash(test_host: HostProcess) -> None:
    r = httpx.post(f"{test_host.url}/api/public/async", content=b"abc")
    assert (r.status_code, r.content) == (201, b"cba")
    assert httpx.get(f"{test_host.url}/api/crash").status_code == 500
    # The host's log is read by a thread of its own: the line can arrive just after the response.
    test_host.wait_for(lambda t: "Executed 'Functions.crash' (Failed" in t, timeout=10, what="the failed invocation")


def test_queue_output_binding_feeds_queue_trigger(test_host: HostProcess) -> None:
    token = uuid.uuid4().hex
    assert httpx.post(f"{test_host.url}/api/enqueue", content=f"ok-{token}".encode()).status_code == 202
    test_host.wait_for(lambda t: f"WORK ok-{token} dequeue_count=1" in t, what="queue trigger")


def test_failing_message_goes_to_poison_after_five_dequeues(test_host: HostProcess, storage: Sdk) -> None:
    token = f"fail-{uuid.uuid4().hex}"
    storage.queue("hostapp-work").send_message(token)
    test_host.wait_for(lambda t: f"WORK {token} dequeue_count=5" in t, what="fifth attempt")
    poison = storage.raw_queue("hostapp-work-poison")

    def in_poison() -> bool:
        texts = [base64.b64decode(m.content).decode() for m in poison.peek_messages(max_messages=32)]
        return token in texts

    test_host.wait_for(lambda _: in_poison(), what="message in hostapp-work-poison")
    assert f"WORK {token} dequeue_count=6" not in test_host.text()


def test_non_base64_message_goes_straight_to_poison(test_host: HostProcess, storage: Sdk) -> None:
    raw = storage.raw_queue("hostapp-work")
    token = f"not base64 {uuid.uuid4().hex} !!"
    raw.send_message(token)
    poison = storage.raw_queue("hostapp-work-poison")
    test_host.wait_for(
        lambda _: token in [m.content for m in poison.peek_messages(max_messages=32)],
        what="undecodable message in poison",
    )
    assert f"WORK {token}" not in test_host.text()


def test_timer_runs_on_startup_and_on_schedule(test_host: HostProcess) -> None:
    test_host.wait_for(lambda t: t.count("TICK past_due=False") >= 3, what="three timer ticks")
    status = httpx.get(f"{test_host.url}/admin/host/status", headers={"x-functions-key": "mkey"}).json()
    assert status["invocations"]["tick"]["succeeded"] >= 3


def test_status_reports_the_cpu_of_the_function_threads_apart(test_host: HostProcess) -> None:
    def cpu() -> dict[str, float]:
        status = httpx.get(f"{test_host.url}/admin/host/status", headers={"x-functions-key": "mkey"}).json()
        return {name: float(value) for name, value in status["cpu"].items()}

    before = cpu()
    assert httpx.get(f"{test_host.url}/api/burn/sync/300", timeout=30).text == "burnt"
    middle = cpu()
    assert httpx.get(f"{test_host.url}/api/burn/async/300", timeout=30).text == "burnt"
    after = cpu()
    assert middle["function_threads_s"] - before["function_threads_s"] >= 0.3  # a sync function's own CPU
    assert middle["process_s"] - before["process_s"] >= 0.3
    assert after["function_threads_s"] - middle["function_threads_s"] < 0.1  # async ones run on the loop
    assert after["process_s"] - middle["process_s"] >= 0.3


def test_admin_endpoint_runs_a_non_http_function(test_host: HostProcess) -> None:
    token = uuid.uuid4().hex
    url = f"{test_host.url}/admin/functions/work"
    assert httpx.post(url, json={"input": f"ok-{token}"}).status_code == 401
    assert httpx.post(url, json={"input": f"ok-{token}"}, headers={"x-functions-key": "mkey"}).status_code == 202
    test_host.wait_for(lambda t: f"WORK ok-{token}" in t, what="admin invocation")


def test_function_with_unresolvable_binding_is_in_error_and_others_run(azurite: str, storage: Sdk) -> None:
    from pathlib import Path

    from sandbox.host.process import start_host

    # No HOSTAPP_SCHEDULE: the timer cannot be bound.
    host = start_host({"AzureWebJobsStorage": azurite}, app_dir=Path(__file__).parent / "hostapp")
    try:
        assert "The 'tick' function is in error" in host.text()
        status = httpx.get(f"{host.url}/admin/host/status", headers={"x-functions-key": "local-master-key"}).json()
        assert "HOSTAPP_SCHEDULE" in status["errors"]["tick"]
        assert httpx.post(f"{host.url}/api/public/async", content=b"ab").content == b"ba"
    finally:
        host.stop()
