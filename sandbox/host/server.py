"""The local host: one asyncio loop running the HTTP server, the queue listeners and the timers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from pathlib import Path
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.host.bindings import write_outputs
from sandbox.host.config import HostConfig, load_host_json, load_local_settings
from sandbox.host.functions import FunctionSpec
from sandbox.host.http import (
    HttpRoute,
    Keys,
    admin_input,
    build_routes,
    given_key,
    is_easy_auth_path,
    match,
    with_local_principal,
)
from sandbox.host.queues import QueueListener
from sandbox.host.storage import Connections, HostStorage
from sandbox.host.timers import TimerRunner
from sandbox.host.typed_data import admin_queue_input, http_request, http_response
from sandbox.host.worker import IndexingError, Worker, stamp

log = logging.getLogger("sandbox.host")

DEFAULT_FUNCTION_KEY = "local-function-key"
DEFAULT_MASTER_KEY = "local-master-key"
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


class LocalHost:
    def __init__(
        self,
        app_dir: Path,
        settings_file: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 7071,
        function_key: str | None = None,
        master_key: str | None = None,
        timers: bool = True,
    ) -> None:
        self.app_dir = app_dir.resolve()
        load_local_settings(settings_file)
        self.config: HostConfig = load_host_json(self.app_dir)
        self.keys = Keys(
            function_key or os.environ.get("LOCAL_HOST_FUNCTION_KEY", DEFAULT_FUNCTION_KEY),
            master_key or os.environ.get("LOCAL_HOST_MASTER_KEY", DEFAULT_MASTER_KEY),
        )
        self.host, self.port = host, port
        self.run_timers = timers
        self.worker = Worker(self.app_dir)
        self.storage_for = Connections()
        self.specs: list[FunctionSpec] = []
        self.errors: dict[str, str] = {}
        self.routes: list[HttpRoute] = []
        self.listeners: list[QueueListener] = []
        self.timers: list[TimerRunner] = []
        self.url = ""
        self._admin_tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Start the worker (it indexes the app) and build the triggers from its function metadata."""
        try:
            self.specs, errors = await self.worker.start()
        except IndexingError as error:
            # As the real host: the worker's indexing failure is logged and the host runs no functions.
            print(f"[{stamp()}] Worker failed to index functions", flush=True)
            print(f"[{stamp()}] Result: Failure\nException: {error}", flush=True)
            print(f"[{stamp()}] No job functions found.", flush=True)
            self.errors["function_app"] = str(error).split("\nStack:")[0]
            return
        for name, reason in errors.items():
            self._in_error(name, reason)
        self.routes = build_routes(self.specs, self.config.route_prefix)
        self.listeners = [
            listener
            for s in self.specs
            if s.trigger_type == "queueTrigger"
            if (listener := self._build(s, lambda s=s: QueueListener(s, self.config, self.worker, self.storage_for)))
        ]
        self.timers = [
            timer
            for s in self.specs
            if s.trigger_type == "timerTrigger" and self.run_timers
            if (timer := self._build(s, lambda s=s: TimerRunner(s, self.worker, self._timer_storage())))
        ]

    def _in_error(self, name: str, error: str) -> None:
        self.errors[name] = error
        print(f"[{stamp()}] The '{name}' function is in error: {error}", flush=True)

    def _build(self, spec: FunctionSpec, make: Any) -> Any:
        """Like the real host, a function whose binding cannot be resolved (e.g. a missing %SETTING%)
        is reported in error and left out; the other functions still run."""
        try:
            return make()
        except ValueError as error:
            self._in_error(spec.name, str(error))
            return None

    def _timer_storage(self) -> HostStorage | None:
        try:
            return self.storage_for("AzureWebJobsStorage")
        except Exception:  # timers run without a monitor when host storage is not configured
            return None

    # -- HTTP --------------------------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        path = request.url.path
        if path.startswith("/admin/"):
            return await self.admin(request)
        route, params, wrong_method = match(self.routes, request.method, path)
        if route is None:
            return Response(status_code=405 if wrong_method else 404)
        if not self.keys.allows(route.auth_level, given_key(request)):
            return Response(status_code=401)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        if is_easy_auth_path(path, self.config.route_prefix):
            headers = with_local_principal(headers)
        data = http_request(
            request.method,
            str(request.url),
            headers,
            request.query_params.multi_items(),
            params,
            await request.body(),
        )
        outcome = await self.worker.invoke(
            route.spec,
            data,
            {},  # the worker declares RpcHttpTriggerMetadataRemoved: no HTTP trigger metadata
            "This function was programmatically called via the host APIs.",
            request.headers.get("traceparent", ""),
        )
        if not outcome.ok:
            return Response("Internal Server Error", status_code=500)
        await write_outputs(route.spec, outcome, self.config, self.storage_for)
        return http_response(outcome.return_value)

    async def admin(self, request: Request) -> Response:
        if given_key(request) != self.keys.master_key:
            return Response(status_code=401)
        parts = request.url.path.strip("/").split("/")
        if request.url.path.rstrip("/") == "/admin/host/status":
            return JSONResponse(
                {
                    "state": "Running",
                    "functions": [s.name for s in self.specs],
                    "errors": self.errors,
                    "invocations": self.worker.stats,
                    "pid": os.getpid(),
                    "cpu": self.worker.cpu(),
                }
            )
        if len(parts) == 3 and parts[1] == "functions" and request.method == "POST":
            spec = next((s for s in self.specs if s.name.lower() == parts[2].lower()), None)
            if spec is None or spec.trigger_type == "httpTrigger":
                return Response(status_code=404)
            task = asyncio.create_task(self._invoke_admin(spec, admin_input(await request.body())))
            self._admin_tasks.add(task)
            task.add_done_callback(self._admin_tasks.discard)
            return Response(status_code=202)
        return Response(status_code=404)

    async def _invoke_admin(self, spec: FunctionSpec, value: str) -> None:
        timer = next((t for t in self.timers if t.spec is spec), None)
        if timer is not None:
            await timer.fire(False, "This function was programmatically called via the host APIs.")
            return
        data, metadata = admin_queue_input(value)
        await self.worker.invoke(spec, data, metadata, "This function was programmatically called via the host APIs.")

    def asgi(self) -> ASGIApp:
        """The HTTP entry: every request straight to ``handle`` (it routes as the Functions host does).
        A plain ASGI callable, not a Starlette app with a router and middleware in front: that layer
        cost about a tenth of the host's CPU per checkout hit and decided nothing ``handle`` does not.
        An exception in ``handle`` is a bare 500, as before (uvicorn answers it)."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":  # lifespan is off; websockets are not a Functions trigger
                return
            if scope["method"] not in METHODS:
                await Response(status_code=405)(scope, receive, send)
                return
            response = await self.handle(Request(scope, receive))
            await response(scope, receive, send)

        return app

    # -- lifecycle ---------------------------------------------------------------------------------
    def banner(self) -> str:
        lines = ["", "Functions:", ""]
        for spec in self.specs:
            t = spec.trigger
            if spec.trigger_type == "httpTrigger":
                route = next(r for r in self.routes if r.spec is spec)
                methods = ",".join(sorted(route.methods)) if route.methods else "ALL"
                template = str(t.get("route") or spec.name).strip("/")
                lines.append(f"        {spec.name}: [{methods}] {self.url}/{self.config.route_prefix}/{template}")
            elif spec.name in self.errors:
                lines.append(f"        {spec.name}: {spec.trigger_type} (in error: {self.errors[spec.name]})")
            else:
                lines.append(f"        {spec.name}: {spec.trigger_type}")
        known = {spec.name for spec in self.specs}
        lines += [f"        {name}: (in error: {error})" for name, error in self.errors.items() if name not in known]
        return "\n".join(lines) + "\n"

    async def serve(self, sock: socket.socket | None = None) -> None:
        await self.start()
        sock = sock or _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        self.url = f"http://{self.host}:{self.port}"
        server = uvicorn.Server(
            uvicorn.Config(
                self.asgi(),
                log_level="warning",
                access_log=False,
                lifespan="off",
                backlog=2048,
                timeout_graceful_shutdown=5,
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
            except (NotImplementedError, RuntimeError):
                pass
        tasks = [asyncio.create_task(listener.run()) for listener in self.listeners]
        tasks += [asyncio.create_task(timer.run()) for timer in self.timers]
        print(self.banner(), flush=True)
        print(f"[{stamp()}] Host started: {self.url}", flush=True)
        try:
            await server.serve(sockets=[sock])
        finally:
            print(f"[{stamp()}] Host stopping", flush=True)
            for timer in self.timers:
                timer.stop()
            await asyncio.gather(*(listener.stop() for listener in self.listeners))
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.worker.close()
            print(f"[{stamp()}] Host stopped", flush=True)


def _bind(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only disables Nagle (TCP_NODELAY) on sockets whose protocol says
    # TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(message)s", datefmt="%Y-%m-%dT%H:%M:%S")
    for noisy in ("azure", "azure.core.pipeline.policies.http_logging_policy", "httpx", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main_args(args: Any) -> None:
    configure_logging()
    settings = Path(args.settings) if args.settings else None
    processes = worker_processes()
    if processes == 1:
        asyncio.run(LocalHost(Path(args.app_dir), settings, port=args.port).serve())
        return
    # Several host processes, as FUNCTIONS_WORKER_PROCESS_COUNT gives one instance several Python
    # processes: each runs HTTP, every queue listener (they share the queues: a message is leased by
    # one) and its own thread pool. The listening socket is bound once and inherited, so the kernel
    # spreads connections over the processes. Timers run in the first process only (Azure holds a
    # singleton lease per timer).
    sock = _bind("127.0.0.1", args.port)
    children: list[int] = []
    for index in range(processes):
        pid = os.fork()
        if pid == 0:
            try:
                host = LocalHost(Path(args.app_dir), settings, port=args.port, timers=index == 0)
                asyncio.run(host.serve(sock))
            finally:
                os._exit(0)
        children.append(pid)
    print(f"[{stamp()}] Host processes: {processes} ({', '.join(map(str, children))})", flush=True)

    def forward(signum: int, _frame: Any) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)


def worker_processes(environ: Any = None) -> int:
    """``FUNCTIONS_WORKER_PROCESS_COUNT`` (1 to 10 in Azure; default 1)."""
    value = (os.environ if environ is None else environ).get("FUNCTIONS_WORKER_PROCESS_COUNT", "") or "1"
    try:
        return min(10, max(1, int(value)))
    except ValueError:
        return 1
