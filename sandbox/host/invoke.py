"""Invoking a user function the way the Python worker does: arguments by binding name, a
``context``, ``Out`` holders for output bindings, sync functions in a thread pool, async ones on
the event loop; and log lines shaped like the real host's."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.host.loader import FunctionSpec

log = logging.getLogger("sandbox.host")


class Out:
    """The worker's plain holder for an output binding."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, value: Any) -> None:
        self._value = value

    def get(self) -> Any:
        return self._value


@dataclass
class TraceContext:
    trace_parent: str
    trace_state: str = ""
    attributes: dict[str, str] = field(default_factory=dict)

    # Older CamelCase aliases the worker still exposes.
    @property
    def Traceparent(self) -> str:
        return self.trace_parent

    @property
    def Tracestate(self) -> str:
        return self.trace_state


@dataclass
class RetryContext:
    retry_count: int = 0
    max_retry_count: int = 0
    exception: Any = None


@dataclass
class ThreadLocalStorage:
    invocation_id: str


class Context:
    def __init__(self, function_name: str, function_directory: str, invocation_id: str) -> None:
        self.function_name = function_name
        self.function_directory = function_directory
        self.invocation_id = invocation_id
        self.thread_local_storage = ThreadLocalStorage(invocation_id)
        self.trace_context = TraceContext(f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01")
        self.retry_context = RetryContext()


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: BaseException | None = None
    invocation_id: str = ""
    duration_ms: float = 0.0


class Invoker:
    def __init__(self, app_dir: str) -> None:
        self.app_dir = app_dir
        threads = os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT")
        workers = max(1, int(threads)) if threads else min(32, (os.cpu_count() or 1) + 4)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="function")
        self.stats: dict[str, dict[str, int]] = {}

    def _count(self, name: str, key: str) -> None:
        self.stats.setdefault(name, {"succeeded": 0, "failed": 0})[key] += 1

    async def invoke(self, spec: FunctionSpec, trigger_value: Any, reason: str) -> Outcome:
        invocation_id = str(uuid.uuid4())
        args: dict[str, Any] = {spec.trigger.name: trigger_value}
        holders = {b.name: Out() for b in spec.outputs}
        args.update(holders)
        if spec.wants_context:
            args["context"] = Context(spec.name, self.app_dir, invocation_id)
        print(f"[{stamp()}] Executing 'Functions.{spec.name}' (Reason='{reason}', Id={invocation_id})", flush=True)
        started = time.perf_counter()
        try:
            if spec.is_async:
                value = await spec.user_function(**args)
            else:
                # Like the worker: the pool thread's own context, not a fresh copy, so state a function
                # leaves in a contextvar is seen by the next invocation on that thread (as in Azure).
                loop = asyncio.get_running_loop()
                value = await loop.run_in_executor(self.pool, lambda: spec.user_function(**args))
            if value is not None and not spec.has_return:
                raise RuntimeError(f"function {spec.name} without a $return binding returned a non-None value")
            outcome = Outcome(True, value, {k: h.get() for k, h in holders.items()})
        except Exception as error:  # a failed invocation, reported like the host does
            outcome = Outcome(False, error=error)
        outcome.invocation_id = invocation_id
        outcome.duration_ms = (time.perf_counter() - started) * 1000
        if outcome.ok:
            self._count(spec.name, "succeeded")
            print(
                f"[{stamp()}] Executed 'Functions.{spec.name}' (Succeeded, Id={invocation_id}, "
                f"Duration={outcome.duration_ms:.0f}ms)",
                flush=True,
            )
        else:
            self._count(spec.name, "failed")
            err = outcome.error
            print(
                f"[{stamp()}] Executed 'Functions.{spec.name}' (Failed, Id={invocation_id}, "
                f"Duration={outcome.duration_ms:.0f}ms)",
                flush=True,
            )
            log.error(
                "[%s] System.Exception: Result: Failure Exception: %s: %s",
                stamp(),
                type(err).__name__,
                err,
                exc_info=err,
            )
        return outcome

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)
