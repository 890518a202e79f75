"""The worker contract: what a function receives through Microsoft's worker runtime (driven by the local
host over the Functions RPC protocol) for each trigger type, and how the worker's failures surface."""

from __future__ import annotations

import json
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from sandbox.host.process import HostProcess, start_host
from sandbox.tests.conftest import Sdk

HOSTAPP = Path(__file__).parent / "hostapp"


def test_sync_http_function_gets_raw_body_headers_query_and_route_params_on_the_runtime_pool(
    test_host: HostProcess,
) -> None:
    body = b"\x00\xff\xfe{not json"
    trace_id = uuid.uuid4().hex
    r = httpx.post(
        f"{test_host.url}/api/contract/sync/orders/42?a=1&a=2&empty=&b=x",
        content=body,
        headers={
            "Content-Type": "application/octet-stream",
            "X-Custom": "value",
            "traceparent": f"00-{trace_id}-{'1' * 16}-01",
        },
    )
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    seen = r.json()
    assert bytes.fromhex(seen["body_hex"]) == body
    assert seen["method"] == "POST"
    assert seen["url"] == f"{test_host.url}/api/contract/sync/orders/42?a=1&a=2&empty=&b=x"
    assert seen["headers"]["x-custom"] == "value"
    assert seen["headers"]["content-type"] == "application/octet-stream"
    # The host joins repeated query values with a comma and drops empty ones.
    assert seen["params"] == {"a": "1,2", "b": "x"}
    assert seen["route_params"] == {"kind": "orders", "id": "42"}
    # A sync function runs on the runtime's thread pool, sized by PYTHON_THREADPOOL_THREAD_COUNT.
    assert seen["in_runtime_pool"] is True and seen["thread"] != "MainThread"
    assert seen["pool_max_workers"] == 3
    assert seen["trace_parent"].split("-")[1] == trace_id
    uuid.UUID(seen["invocation_id"])


def test_missing_optional_route_param_and_empty_body(test_host: HostProcess) -> None:
    seen = httpx.get(f"{test_host.url}/api/contract/sync/things").json()
    assert seen["route_params"] == {"kind": "things"}
    assert seen["body_hex"] == ""
    assert seen["params"] == {}


def test_async_http_function_runs_on_the_event_loop(test_host: HostProcess) -> None:
    text = '{"amount": "12.30", "note": "\u00e9t\u00e9"}'.encode()
    url = f"{test_host.url}/api/contract/async/json"
    r = httpx.post(url, content=text, headers={"Content-Type": "application/json"})
    assert r.status_code == 200 and r.headers["x-seen"] == "async"
    seen = r.json()
    assert bytes.fromhex(seen["body_hex"]) == text  # JSON bodies reach the app as the bytes sent
    assert seen["thread"] == "MainThread" and seen["in_runtime_pool"] is False and seen["on_event_loop"]


def test_plain_string_return_is_a_200_text_answer(test_host: HostProcess) -> None:
    r = httpx.get(f"{test_host.url}/api/contract/plain")
    assert (r.status_code, r.text) == (200, "plain text")
    assert r.headers["content-type"].startswith("text/plain")


def test_queue_output_list_fans_out_and_the_trigger_gets_the_message_metadata(test_host: HostProcess) -> None:
    token = uuid.uuid4().hex
    before = datetime.now(UTC) - timedelta(seconds=5)
    assert httpx.post(f"{test_host.url}/api/contract/fan-out", content=f"a-{token},b-{token}").status_code == 202

    def seen() -> dict[str, dict[str, object]]:
        found = {}
        for line in test_host.lines:
            if line.startswith("CONTRACT-QUEUE ") and token in line:
                item = json.loads(line.removeprefix("CONTRACT-QUEUE "))
                found[str(item["body"])] = item
        return found

    test_host.wait_for(lambda _: len(seen()) == 2, what="both fanned-out messages")
    messages = seen()
    assert set(messages) == {f"a-{token}", f"b-{token}"}
    for item in messages.values():
        assert item["dequeue_count"] == 1 and item["pop_receipt"] is True
        uuid.UUID(str(item["id"]))
        inserted = datetime.fromisoformat(str(item["insertion_time"]))
        assert inserted.tzinfo is not None and inserted >= before
        assert datetime.fromisoformat(str(item["expiration_time"])) > inserted
        assert datetime.fromisoformat(str(item["time_next_visible"])) > inserted


def test_invocation_exception_is_the_workers_failure_and_a_500(test_host: HostProcess) -> None:
    assert httpx.get(f"{test_host.url}/api/crash").status_code == 500
    test_host.wait_for(lambda t: "Exception: RuntimeError: boom" in t, what="the worker's exception message")
    assert "Exception while executing function: Functions.crash. Result: Failure" in test_host.text()


def test_missed_monitored_occurrence_fires_once_with_past_due(azurite: str, storage: Sdk) -> None:
    host_id = f"contract-{uuid.uuid4().hex[:12]}"
    missed = datetime.now(UTC) - timedelta(days=1)
    status = {"Last": missed.isoformat(), "Next": missed.isoformat(), "LastUpdated": missed.isoformat()}
    blob = storage.container("azure-webjobs-hosts").get_blob_client(f"timers/{host_id}/tock/status")
    blob.upload_blob(json.dumps(status).replace("+00:00", "Z"), overwrite=True)
    env = {
        "AzureWebJobsStorage": azurite,
        "AzureFunctionsWebHost__hostid": host_id,
        "HOSTAPP_SCHEDULE": "0 0 0 1 1 *",
        "HOSTAPP_MONITORED_SCHEDULE": "0 0 0 1 1 *",
    }
    host = start_host(env, app_dir=HOSTAPP)
    try:
        host.wait_for(lambda t: "TOCK past_due=True" in t, what="past-due timer run")
        line = next(x for x in host.lines if x.startswith("TOCK past_due=True"))
        schedule_status = json.loads(line.split(" status=", 1)[1])
        assert set(schedule_status) == {"Last", "Next", "LastUpdated"}
    finally:
        host.stop()
    assert host.text().count("TOCK past_due=True") == 1


def _app(tmp_path: Path, source: str) -> Path:
    (tmp_path / "function_app.py").write_text(textwrap.dedent(source))
    (tmp_path / "host.json").write_text('{"version": "2.0"}')
    return tmp_path


def test_binding_type_error_is_reported_as_the_worker_reports_it(azurite: str, tmp_path: Path) -> None:
    app_dir = _app(
        tmp_path,
        """
        import azure.functions as func

        app = func.FunctionApp()

        @app.route(route="typed", auth_level=func.AuthLevel.ANONYMOUS)
        def typed(req: int) -> func.HttpResponse:
            return func.HttpResponse("unreachable")
        """,
    )
    host = start_host({"AzureWebJobsStorage": azurite}, app_dir=app_dir)
    try:
        assert "Worker failed to index functions" in host.text()
        assert "No job functions found." in host.text()
        error = httpx.get(f"{host.url}/admin/host/status", headers={"x-functions-key": "local-master-key"}).json()
        message = error["errors"]["function_app"]
        assert message.startswith("FunctionLoadError: cannot load the typed function")
        assert "do not match the corresponding function parameter's Python type annotation int" in message
        assert httpx.get(f"{host.url}/api/typed").status_code == 404
    finally:
        host.stop()


def test_indexing_error_in_function_app_is_reported_with_the_exception(azurite: str, tmp_path: Path) -> None:
    app_dir = _app(
        tmp_path,
        """
        import azure.functions as func

        first = func.FunctionApp()
        second = func.FunctionApp()
        """,
    )
    host = start_host({"AzureWebJobsStorage": azurite}, app_dir=app_dir)
    try:
        assert "Exception: ValueError: More than one FunctionApp or other top level function app instances" in (
            host.text()
        )
    finally:
        host.stop()
