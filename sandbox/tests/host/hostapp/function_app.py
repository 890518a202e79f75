"""A small app that exercises the local host's fidelity (not the product)."""

import asyncio
import json
import threading
import time
from typing import Any, List  # noqa: UP035  (see contract_fan_out)

import azure.functions as func
import azure_functions_runtime
from azure.functions.timer import TimerRequest as TimerRequestWithStatus

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


@app.route(route="items/{id:int}", methods=["GET"])
def get_item(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    body = {
        "id": int(req.route_params["id"]),
        "q": req.params.get("q"),
        "function": context.function_name,
        "has_trace": bool(context.trace_context.trace_parent),
    }
    return func.HttpResponse(json.dumps(body), mimetype="application/json")


@app.route(route="public/async", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def public_async(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(req.get_body()[::-1], status_code=201)


@app.route(route="admin-only", auth_level=func.AuthLevel.ADMIN)
def admin_only(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("admin")


def _burn(seconds: float) -> None:
    until = time.thread_time() + seconds
    while time.thread_time() < until:
        pass


@app.route(route="burn/sync/{ms:int}", auth_level=func.AuthLevel.ANONYMOUS)
def burn_sync(req: func.HttpRequest) -> func.HttpResponse:
    _burn(int(req.route_params["ms"]) / 1000)
    return func.HttpResponse("burnt")


@app.route(route="burn/async/{ms:int}", auth_level=func.AuthLevel.ANONYMOUS)
async def burn_async(req: func.HttpRequest) -> func.HttpResponse:
    _burn(int(req.route_params["ms"]) / 1000)  # on the event loop: not a function thread
    return func.HttpResponse("burnt")


@app.route(route="crash", auth_level=func.AuthLevel.ANONYMOUS)
def crash(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("boom")


@app.route(route="enqueue", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@app.queue_output(arg_name="out", queue_name="hostapp-work", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    out.set(req.get_body().decode())
    return func.HttpResponse("queued", status_code=202)


@app.queue_trigger(arg_name="msg", queue_name="hostapp-work", connection="AzureWebJobsStorage")
def work(msg: func.QueueMessage) -> None:
    text = msg.get_body().decode()
    print(f"WORK {text} dequeue_count={msg.dequeue_count}", flush=True)
    if text.startswith("fail"):
        raise ValueError("failing on purpose")


@app.timer_trigger(arg_name="timer", schedule="%HOSTAPP_SCHEDULE%", run_on_startup=True, use_monitor=False)
def tick(timer: func.TimerRequest) -> None:
    print(f"TICK past_due={timer.past_due}", flush=True)


# -- the worker contract (sandbox/tests/host/test_worker_contract.py): what a function receives --------------


def _seen(req: func.HttpRequest, context: func.Context) -> dict[str, Any]:
    pool = azure_functions_runtime.get_threadpool_executor()
    return {
        "method": req.method,
        "url": req.url,
        "body_hex": req.get_body().hex(),
        "headers": dict(req.headers),
        "params": dict(req.params),
        "route_params": dict(req.route_params),
        "thread": threading.current_thread().name,
        "in_runtime_pool": pool is not None and threading.current_thread() in pool._threads,
        "pool_max_workers": pool._max_workers if pool is not None else None,
        "invocation_id": context.invocation_id,
        "trace_parent": context.trace_context.trace_parent,
    }


@app.route(route="contract/sync/{kind}/{id:int?}", methods=["GET", "POST"], auth_level=func.AuthLevel.ANONYMOUS)
def contract_sync(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(_seen(req, context)), mimetype="application/json")


@app.route(route="contract/async/{kind}", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
async def contract_async(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    seen = _seen(req, context)
    seen["on_event_loop"] = asyncio.get_running_loop() is not None
    return func.HttpResponse(json.dumps(seen), mimetype="application/json", headers={"x-seen": "async"})


@app.route(route="contract/plain", auth_level=func.AuthLevel.ANONYMOUS)
def contract_plain(req: func.HttpRequest) -> str:
    return "plain text"


@app.route(route="contract/fan-out", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@app.queue_output(arg_name="out", queue_name="hostapp-contract", connection="AzureWebJobsStorage")
def contract_fan_out(req: func.HttpRequest, out: func.Out[List[str]]) -> func.HttpResponse:  # noqa: UP006
    # typing.List, not list: the worker rejects Out[list[str]] ("invalid non-type annotation").
    out.set(req.get_body().decode().split(","))
    return func.HttpResponse(status_code=202)


@app.queue_trigger(arg_name="msg", queue_name="hostapp-contract", connection="AzureWebJobsStorage")
async def contract_queue(msg: func.QueueMessage) -> None:
    seen = {
        "id": msg.id,
        "body": msg.get_body().decode(),
        "dequeue_count": msg.dequeue_count,
        "pop_receipt": bool(msg.pop_receipt),
        "insertion_time": msg.insertion_time.isoformat() if msg.insertion_time else None,
        "expiration_time": msg.expiration_time.isoformat() if msg.expiration_time else None,
        "time_next_visible": msg.time_next_visible.isoformat() if msg.time_next_visible else None,
    }
    print(f"CONTRACT-QUEUE {json.dumps(seen)}", flush=True)


@app.timer_trigger(arg_name="timer", schedule="%HOSTAPP_MONITORED_SCHEDULE%", run_on_startup=False, use_monitor=True)
def tock(timer: func.TimerRequest) -> None:
    # The worker hands over azure.functions.timer.TimerRequest; only it carries schedule_status.
    assert isinstance(timer, TimerRequestWithStatus), type(timer)
    print(f"TOCK past_due={timer.past_due} status={json.dumps(timer.schedule_status)}", flush=True)
