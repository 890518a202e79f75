"""A small app that exercises the local host's fidelity (not the product)."""

import json

import azure.functions as func

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
