"""Timer triggers: NCRONTAB (six fields, seconds first; five accepted) or a TimeSpan interval, in
UTC; ``run_on_startup``; one invocation at a time; with ``use_monitor`` the schedule status is kept
in the blob the real host uses (``azure-webjobs-hosts/timers/<hostId>/<function>/status``) and a
missed occurrence fires once at start-up with ``past_due``."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError
from croniter import croniter

from sandbox.host.config import disabled, parse_timespan, resolve
from sandbox.host.functions import FunctionSpec
from sandbox.host.storage import HostStorage
from sandbox.host.typed_data import timer_info
from sandbox.host.worker import Worker, stamp

log = logging.getLogger("sandbox.host")

MONITOR_CONTAINER = "azure-webjobs-hosts"


class Schedule:
    def __init__(self, expression: str) -> None:
        self.expression = expression.strip()
        self.interval: timedelta | None = None
        fields = self.expression.split()
        if len(fields) == 1 and ":" in self.expression:
            self.interval = parse_timespan(self.expression)
            if self.interval <= timedelta(0):
                raise ValueError(f"timer interval must be positive: {expression!r}")
        elif len(fields) in (5, 6):
            if not croniter.is_valid(self.expression, second_at_beginning=len(fields) == 6):
                raise ValueError(f"invalid NCRONTAB expression: {expression!r}")
        else:
            raise ValueError(f"invalid NCRONTAB expression (six fields expected): {expression!r}")

    def next_after(self, moment: datetime) -> datetime:
        if self.interval is not None:
            return moment + self.interval
        six = len(self.expression.split()) == 6
        return croniter(self.expression, moment, second_at_beginning=six).get_next(datetime)

    def period(self) -> timedelta:
        start = datetime(2026, 1, 1, tzinfo=UTC)
        first = self.next_after(start)
        return self.next_after(first) - first


def _host_id() -> str:
    raw = os.environ.get("AzureFunctionsWebHost__hostid") or "localhost"
    return re.sub(r"[^a-z0-9-]", "-", raw.lower())[:32]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TimerRunner:
    def __init__(self, spec: FunctionSpec, worker: Worker, storage: HostStorage | None) -> None:
        self.spec = spec
        self.worker = worker
        self.schedule = Schedule(resolve(spec.trigger["schedule"]))
        use_monitor = spec.trigger.get("useMonitor")
        self.monitor = (self.schedule.period() >= timedelta(minutes=1)) if use_monitor is None else bool(use_monitor)
        self.storage = storage if self.monitor else None
        self.stopping = False
        self._wake = asyncio.Event()
        self._running = asyncio.Lock()
        self.last: datetime | None = None

    def _status_blob(self) -> Any:
        assert self.storage is not None
        return self.storage.container(MONITOR_CONTAINER).get_blob_client(f"timers/{_host_id()}/{self.spec.name}/status")

    def _read_status(self) -> dict[str, Any] | None:
        if self.storage is None:
            return None
        try:
            return json.loads(self._status_blob().download_blob().readall())
        except (ResourceNotFoundError, ValueError):
            return None

    def _write_status(self, last: datetime, next_: datetime) -> None:
        if self.storage is None:
            return
        data = {"Last": _iso(last), "Next": _iso(next_), "LastUpdated": _iso(datetime.now(UTC))}
        self._status_blob().upload_blob(json.dumps(data), overwrite=True)

    async def fire(self, past_due: bool, reason: str) -> None:
        # One invocation at a time, whether from the schedule or the admin endpoint, as on the real host.
        async with self._running:
            await self._fire(past_due, reason)

    async def _fire(self, past_due: bool, reason: str) -> None:
        now = datetime.now(UTC)
        next_ = self.schedule.next_after(now)
        # ScheduleStatus is null without a monitor, as on the real host.
        status = (
            {"Last": _iso(self.last or now), "Next": _iso(next_), "LastUpdated": _iso(now)} if self.monitor else None
        )
        await self.worker.invoke(self.spec, timer_info(past_due, status), {}, reason)
        self.last = now
        try:
            await asyncio.to_thread(self._write_status, now, next_)
        except AzureError as error:
            log.warning(
                "[%s] timer %s: could not save schedule status (%s)", stamp(), self.spec.name, type(error).__name__
            )

    async def run(self) -> None:
        try:
            status = await asyncio.to_thread(self._read_status)
        except AzureError:
            status = None
        now = datetime.now(UTC)
        next_due = (
            datetime.fromisoformat(str(status["Next"]).replace("Z", "+00:00"))
            if status and status.get("Next")
            else None
        )
        if next_due is not None and next_due < now and not disabled(self.spec.name):
            await self.fire(True, "Timer fired at startup (a scheduled occurrence was missed).")
        elif self.spec.trigger.get("runOnStartup") and not disabled(self.spec.name):
            await self.fire(False, "Timer fired at startup (run_on_startup).")
        while not self.stopping:
            due = self.schedule.next_after(datetime.now(UTC))
            try:
                wait = max(0.0, (due - datetime.now(UTC)).total_seconds())
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass
            if self.stopping:
                return
            if disabled(self.spec.name):
                continue
            late = datetime.now(UTC) - due > timedelta(seconds=max(1.0, self.schedule.period().total_seconds()))
            await self.fire(late, f"Timer fired at {_iso(due)}")

    def stop(self) -> None:
        self.stopping = True
        self._wake.set()
