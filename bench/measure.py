"""Per-unit costs for every benchmark: requests per unit (Table, Queue, Blob, F&O, Shopify) and CPU ms
per unit per process (app host, Azurite, emulators and this process), read from /proc, with the
limits they imply on this machine.

The binding limits printed with them:
- one host process runs Python on one core (the GIL): units/s <= processes x 1000 / host CPU ms per unit;
- the machine: units/s <= cores x 1000 / CPU ms per unit of every process on it (the bench shares the
  cores with Azurite and the emulators, which in Azure run elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import httpx

from bench.common import Row

FUNCTION_KEY = "local-function-key"  # the local host's default function key
MASTER_KEY = "local-master-key"  # the local host's default master key (admin API)
SERVICES = ("table", "queue", "blob")


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU of a process (this one when ``pid`` is None), from /proc."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_children(pid: int) -> list[int]:
    """A process and its direct children (the host's worker processes in multi-process mode)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        children = []
    return [pid, *map(int, children)]


class CpuMeter:
    """CPU seconds per named process group between ``start()`` and ``stop()`` (None = this process)."""

    def __init__(self, processes: Mapping[str, int | None]) -> None:
        self.groups = {name: ([pid] if pid is None else with_children(pid)) for name, pid in processes.items()}
        self.before: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in self.groups.items()}

    def start(self) -> None:
        self.before = self._now()

    def stop(self) -> dict[str, float]:
        return {name: value - self.before[name] for name, value in self._now().items()}


def host_calls(url: str) -> dict[str, int]:
    """Storage round trips made so far by the worker process that answers (the one in single mode),
    from the app's detailed health report; that report's own storage check (one queue call) is
    subtracted by ``calls_delta``."""
    response = httpx.get(f"{url}/api/ops/health", headers={"x-functions-key": FUNCTION_KEY}, timeout=10)
    response.raise_for_status()
    calls = response.json().get("process", {}).get("storage_calls", {})
    return {service: int(calls.get(service, 0)) for service in SERVICES}


def function_threads_cpu(url: str) -> float:
    """CPU seconds so far of the answering worker process's function threads (the runtime's thread pool
    for sync functions: the functions and their SDK calls), from the local host's ``/admin/host/status``;
    the rest of the host process is the local host's own work (see ``sandbox.host.worker.Worker.cpu``)."""
    response = httpx.get(f"{url}/admin/host/status", headers={"x-functions-key": MASTER_KEY}, timeout=10)
    response.raise_for_status()
    return float(response.json().get("cpu", {}).get("function_threads_s", 0.0))


def calls_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    delta = {service: after[service] - before[service] for service in SERVICES}
    delta["queue"] -= 1  # the second health report's own storage check
    return delta


def unit_rows(
    bench: str,
    unit: str,
    units: int,
    requests: Mapping[str, float],
    cpu: Mapping[str, float],
    *,
    processes: int = 1,
    storage_goal: float | None = None,
    host_goal_ms: float | None = None,
    function_threads_s: float | None = None,
) -> list[Row]:
    """Rows: requests per unit by system, CPU ms per unit by process, and the CPU limits they imply.

    ``requests`` are totals over the run by system (table, queue, blob, F&O, Shopify); ``cpu`` CPU
    seconds by process group, one of them named ``host``."""
    if units <= 0:
        return [Row(bench, f"requests per {unit}", 0.0, "req", note="no units completed")]
    per_req = {name: value / units for name, value in requests.items()}
    counted = any(s in per_req for s in SERVICES)
    rows = [
        Row(
            bench,
            f"storage calls per {unit}" if counted else f"requests per {unit}",
            sum(per_req.get(s, 0.0) for s in SERVICES) if counted else sum(per_req.values()),
            "req",
            storage_goal,
            "goal" if storage_goal is not None else "",
            ", ".join(f"{name} {value:.2f}" for name, value in per_req.items())
            + f" (over {units} {unit}s)"
            + ("" if counted else "; storage calls are counted per process: see the single-process run"),
        )
    ]
    per_cpu = {name: 1000 * value / units for name, value in cpu.items()}
    total = sum(per_cpu.values())
    host = per_cpu.get("host", 0.0)
    rows.append(
        Row(
            bench,
            f"host CPU per {unit}",
            host,
            "ms",
            host_goal_ms,
            "goal" if host_goal_ms is not None else "",
            "all processes: " + ", ".join(f"{name} {value:.1f}" for name, value in per_cpu.items()),
        )
    )
    if function_threads_s is not None and host:
        functions = 1000 * function_threads_s / units
        rows.append(
            Row(
                bench,
                f"host CPU per {unit}: function threads",
                functions,
                "ms",
                host_goal_ms,
                "goal" if host_goal_ms is not None else "",
                f"the runtime's thread pool (the functions and their SDK calls); the other {host - functions:.1f} ms"
                " are the local host's own work (HTTP server, queue polling and completion, RPC messages), done by"
                " Azure's Functions host in its own process",
            )
        )
    if host:
        rows.append(
            Row(
                bench,
                f"{unit}s/s the host processes allow",
                processes * 1000 / host,
                "/s",
                note=f"{processes} host process(es) x one core each (GIL) / host CPU per {unit}",
            )
        )
    cores = os.cpu_count() or 1
    if total:
        rows.append(
            Row(
                bench,
                f"{unit}s/s this machine allows",
                cores * 1000 / total,
                "/s",
                note=f"{cores} cores / CPU of every process per {unit} (Azurite and emulators share them here)",
            )
        )
    return rows


# Flex Consumption planning figures (docs/deploy.md "Scaling", docs/reference/d365.md): one Python
# process per instance (FUNCTIONS_WORKER_PROCESS_COUNT is not used there), batchSize + newBatchThreshold
# = 24 messages per queue function per instance, and F&O's former per-user cap of 52 concurrent
# requests kept as the planning cap (F&O now throttles by resource with 429 + Retry-After).
FLEX_PER_INSTANCE_CONCURRENCY = 24
FO_CONCURRENCY_CAP = 52
FLEX_MAX_INSTANCES = 40


def flex_projection(bench: str, host_cpu_ms: float, latency_s: float, fo_per_unit: float) -> Row:
    """A PROJECTION, not a measurement: units/s on Flex Consumption from this run's host CPU per unit."""
    per_instance = min(1000 / host_cpu_ms, FLEX_PER_INSTANCE_CONCURRENCY / latency_s / fo_per_unit)
    fo_cap = FO_CONCURRENCY_CAP / latency_s / fo_per_unit
    instances = min(FLEX_MAX_INSTANCES, max(1, int(-(-fo_cap // per_instance))))
    return Row(
        bench,
        "PROJECTION: orders/s on Flex Consumption",
        min(instances * per_instance, fo_cap),
        "/s",
        fo_cap,
        f"F&O cap {FO_CONCURRENCY_CAP} concurrent / {latency_s:g} s / {fo_per_unit:.2f} req",
        f"projected, not measured: {instances} instance(s) x {per_instance:.1f}/s each (min of one core / "
        f"{host_cpu_ms:.1f} ms host CPU, {FLEX_PER_INSTANCE_CONCURRENCY} in flight / F&O latency), "
        "storage and F&O latency as on this bench",
    )
