"""The worker half: Microsoft's ``azure-functions-runtime``, driven in-process over the Functions RPC
protocol messages, the way the Azure proxy worker drives it.

The host sends ``WorkerInitRequest`` (the runtime indexes ``function_app.py``), then
``FunctionsMetadataRequest`` and one ``FunctionLoadRequest`` per function, and an
``InvocationRequest`` per execution. Sync functions run on the runtime's thread pool
(``PYTHON_THREADPOOL_THREAD_COUNT``), async ones on this event loop, as in Azure.

The runtime keeps its registry in module globals: one ``Worker`` per process.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import azure_functions_runtime as runtime
from azure_functions_runtime.utils import threadpool

from sandbox.host.functions import FunctionSpec, UnsupportedBinding, from_metadata
from sandbox.host.rpc import protos

log = logging.getLogger("sandbox.host")

HOST_VERSION = "4.1040.0-local"  # a Functions 4.x host; the runtime only logs it
# Host capabilities offered to the worker: none (no shared-memory transfer, no function data cache).
HOST_CAPABILITIES: dict[str, str] = {}


def threadpool_executor() -> Any:
    """The runtime's executor for sync functions (a module global of ``azure_functions_runtime``)."""
    return getattr(threadpool, "_threadpool_executor", None)


def stamp() -> str:
    # isoformat, not strftime: glibc's strftime re-reads the time zone (a stat of /etc/localtime) on
    # every call, three times per invocation.
    return datetime.now(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


# Invocation, request and trace ids: random, not secret. One getrandom() syscall per id (uuid4, secrets)
# was a measurable share of the local host's CPU per invocation, which Azure's (.NET) host does not
# charge to the Python process. (The module's generator: it is reseeded in a forked child.)
def new_id() -> str:
    """A version-4 UUID's text from the module's generator."""
    h = f"{random.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


def hex_id(digits: int) -> str:
    return f"{random.getrandbits(4 * digits):0{digits}x}"


def say(line: str) -> None:
    """A host log line on stdout, in one write (print writes the text and the newline separately)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass
class RuntimeRequest:
    """What the proxy worker hands the runtime: the protocol message and side properties."""

    name: str
    request: Any  # StreamingMessage
    properties: dict[str, Any] = field(default_factory=dict)


class IndexingError(RuntimeError):
    """The worker failed to index the app (``WorkerInitResponse`` with a failure status)."""


@dataclass
class Outcome:
    ok: bool
    return_value: Any = None  # TypedData or None
    outputs: dict[str, Any] = field(default_factory=dict)  # binding name -> TypedData
    error: str = ""  # the worker's exception message
    stack: str = ""
    invocation_id: str = ""
    duration_ms: float = 0.0


def trace_parent(incoming: str = "") -> str:
    """A W3C traceparent for the invocation's activity, in the incoming trace when there is one."""
    parts = incoming.split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
        return f"00-{parts[1]}-{hex_id(16)}-{parts[3]}"
    return f"00-{hex_id(32)}-{hex_id(16)}-01"


def failure_text(result: Any) -> tuple[str, str]:
    exception = result.exception
    return exception.message or result.result or "unknown failure", exception.stack_trace


class Worker:
    def __init__(self, app_dir: Path) -> None:
        self.app_dir = app_dir
        self.properties = {"protos": protos, "host": "127.0.0.1"}
        self.capabilities: dict[str, str] = {}
        self.stats: dict[str, dict[str, int]] = {}

    def _message(self, **content: Any) -> RuntimeRequest:
        name = next(iter(content))
        message = protos.StreamingMessage(request_id=new_id(), **content)
        return RuntimeRequest(name, message, self.properties)

    async def start(self) -> tuple[list[FunctionSpec], dict[str, str]]:
        """Init, index and load; returns the functions and, per function, why it is in error."""
        if str(self.app_dir) not in sys.path:
            sys.path.insert(0, str(self.app_dir))  # as the worker's script root
        runtime.start_threadpool_executor()
        init = await runtime.worker_init_request(
            self._message(
                worker_init_request=protos.WorkerInitRequest(
                    host_version=HOST_VERSION,
                    capabilities=HOST_CAPABILITIES,
                    function_app_directory=str(self.app_dir),
                    worker_directory=str(Path(runtime.__file__).parent),
                )
            )
        )
        self.capabilities = dict(init.capabilities)
        if init.result.status != protos.StatusResult.Success:
            message, stack = failure_text(init.result)
            raise IndexingError(f"{message}\nStack: {stack}" if stack else message)
        metadata = await runtime.functions_metadata_request(
            self._message(
                functions_metadata_request=protos.FunctionsMetadataRequest(function_app_directory=str(self.app_dir))
            )
        )
        if metadata.result.status != protos.StatusResult.Success:
            raise IndexingError(failure_text(metadata.result)[0])
        specs: list[FunctionSpec] = []
        errors: dict[str, str] = {}
        for function in metadata.function_metadata_results:
            loaded = await runtime.function_load_request(
                self._message(
                    function_load_request=protos.FunctionLoadRequest(
                        function_id=function.function_id, metadata=function
                    )
                )
            )
            if loaded.result.status != protos.StatusResult.Success:
                errors[function.name] = failure_text(loaded.result)[0]
                continue
            try:
                specs.append(from_metadata(function))
            except UnsupportedBinding as error:
                errors[function.name] = str(error)
        return specs, errors

    def _count(self, name: str, key: str) -> None:
        self.stats.setdefault(name, {"succeeded": 0, "failed": 0})[key] += 1

    async def invoke(
        self,
        spec: FunctionSpec,
        trigger_data: Any,
        trigger_metadata: dict[str, Any],
        reason: str,
        incoming_trace: str = "",
    ) -> Outcome:
        invocation_id, now = new_id(), stamp()
        metadata = {
            **trigger_metadata,
            "sys": protos.TypedData(json=json.dumps({"MethodName": spec.name, "UtcNow": now, "RandGuid": new_id()})),
        }
        request = protos.InvocationRequest(
            invocation_id=invocation_id,
            function_id=spec.function_id,
            input_data=[protos.ParameterBinding(name=spec.trigger_name, data=trigger_data)],
            trigger_metadata=metadata,
            trace_context=protos.RpcTraceContext(trace_parent=trace_parent(incoming_trace)),
            retry_context=protos.RetryContext(),
        )
        say(f"[{now}] Executing 'Functions.{spec.name}' (Reason='{reason}', Id={invocation_id})")
        started = time.perf_counter()
        response = await runtime.invocation_request(self._message(invocation_request=request))
        duration = (time.perf_counter() - started) * 1000
        ok = response.result.status == protos.StatusResult.Success
        outcome = Outcome(ok, invocation_id=invocation_id, duration_ms=duration)
        if ok:
            outcome.return_value = response.return_value if response.HasField("return_value") else None
            outcome.outputs = {b.name: b.data for b in response.output_data if b.HasField("data")}
        else:
            outcome.error, outcome.stack = failure_text(response.result)
        self._count(spec.name, "succeeded" if ok else "failed")
        say(
            f"[{stamp()}] Executed 'Functions.{spec.name}' ({'Succeeded' if ok else 'Failed'}, "
            f"Id={invocation_id}, Duration={duration:.0f}ms)"
        )
        if not ok:
            log.error(
                "[%s] Exception while executing function: Functions.%s. Result: Failure\nException: %s\nStack: %s",
                stamp(),
                spec.name,
                outcome.error,
                outcome.stack,
            )
        return outcome

    def close(self) -> None:
        runtime.stop_threadpool_executor()

    def cpu(self) -> dict[str, float]:
        """CPU seconds of this process so far, and of the runtime's function threads (the thread pool that
        runs sync functions and every SDK call they make). The rest of the process is the local host's
        own work (HTTP server, queue polling and completion, timers, the RPC messages), which Azure's
        Functions host does in its own process; Azure's worker adds the gRPC (de)serialisation of each
        invocation, which in-process messages do not have. Threads are read with their CPU clocks;
        the pool's threads live as long as the pool."""
        pool = threadpool_executor()
        threads = list(getattr(pool, "_threads", ())) if pool is not None else []
        function_threads = 0.0
        for thread in threads:
            if thread.ident is None or not thread.is_alive():
                continue
            try:
                function_threads += time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except (OSError, ProcessLookupError):
                continue  # ended between the check and the read
        return {"process_s": time.process_time(), "function_threads_s": function_threads}
