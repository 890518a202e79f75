"""CPU a function's own code spends per unit of work, in this process: the calling thread's CPU time
(``time.thread_time_ns``) between the start and the end of a handler, summed by outcome, on one unit in
``EVERY`` (reading a thread's CPU clock is a system call, which in the local host cost more than a tenth
of a checkout cache hit when done twice per hit). The benchmarks read it through the detailed health
report (``process.function_cpu``) to tell the function's CPU from the host's in the process's total.

Only meaningful for work that does not yield to other tasks in between (a checkout cache hit); an async
handler that awaits I/O also counts whatever else its event loop ran meanwhile.
"""

from __future__ import annotations

import threading
import time

EVERY = 16
_lock = threading.Lock()
_cpu_ns: dict[str, int] = {}
_counts: dict[str, int] = {}
_units = 0


def start() -> int:
    """The thread's CPU clock for a sampled unit, else 0 (then ``stop`` records nothing)."""
    global _units
    _units += 1  # a lost increment under a race only shifts which unit is sampled
    return time.thread_time_ns() if _units % EVERY == 0 else 0


def stop(name: str, started: int) -> None:
    if started:
        record(name, time.thread_time_ns() - started)


def record(name: str, cpu_ns: int) -> None:
    with _lock:
        _cpu_ns[name] = _cpu_ns.get(name, 0) + cpu_ns
        _counts[name] = _counts.get(name, 0) + 1


def snapshot() -> dict[str, dict[str, int]]:
    """``{name: {"count": sampled units, "cpu_ns": their total}}`` since the process started."""
    with _lock:
        return {name: {"count": _counts[name], "cpu_ns": _cpu_ns[name]} for name in sorted(_counts)}
