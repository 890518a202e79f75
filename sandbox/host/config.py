"""host.json and local.settings.json, read the way the Functions host reads them."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$")


def parse_timespan(value: str) -> timedelta:
    """A .NET TimeSpan such as ``00:00:30`` or ``1.00:00:00``."""
    match = _TIMESPAN.match(value.strip())
    if not match:
        raise ValueError(f"not a TimeSpan (hh:mm:ss): {value!r}")
    days, hours, minutes, seconds, fraction = match.groups()
    return timedelta(
        days=int(days or 0),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds),
        microseconds=int((fraction or "0")[:6].ljust(6, "0")),
    )


@dataclass
class QueueOptions:
    batch_size: int = 16
    new_batch_threshold: int | None = None
    max_dequeue_count: int = 5
    visibility_timeout: timedelta = timedelta(0)
    max_polling_interval: timedelta = timedelta(seconds=2)  # the host's local-development default
    message_encoding: str = "base64"

    @property
    def threshold(self) -> int:
        # The host's default is batchSize/2 per processor; one processor here.
        return self.new_batch_threshold if self.new_batch_threshold is not None else self.batch_size // 2


@dataclass
class HostConfig:
    route_prefix: str = "api"
    queues: QueueOptions = field(default_factory=QueueOptions)
    function_timeout: timedelta | None = None


OVERRIDE_PREFIX = "AzureFunctionsJobHost__"


def _apply_overrides(data: dict[str, Any]) -> None:
    """App settings such as ``AzureFunctionsJobHost__extensions__queues__batchSize`` override host.json,
    as they do on the real host."""
    for key, value in os.environ.items():
        if not key.startswith(OVERRIDE_PREFIX):
            continue
        path = key[len(OVERRIDE_PREFIX) :].split("__")
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value


def load_host_json(app_dir: Path) -> HostConfig:
    path = app_dir / "host.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    _apply_overrides(data)
    if data.get("version") not in (None, "2.0"):
        raise ValueError(f'{path}: version must be "2.0"')
    extensions = data.get("extensions") or {}
    q = extensions.get("queues") or {}
    options = QueueOptions()
    if "batchSize" in q:
        options.batch_size = max(1, min(32, int(q["batchSize"])))
    if "newBatchThreshold" in q:
        options.new_batch_threshold = int(q["newBatchThreshold"])
    if "maxDequeueCount" in q:
        options.max_dequeue_count = max(1, int(q["maxDequeueCount"]))
    if "visibilityTimeout" in q:
        options.visibility_timeout = parse_timespan(q["visibilityTimeout"])
    if "maxPollingInterval" in q:
        options.max_polling_interval = max(timedelta(milliseconds=100), parse_timespan(q["maxPollingInterval"]))
    if "messageEncoding" in q:
        encoding = str(q["messageEncoding"]).lower()
        if encoding not in ("base64", "none"):
            raise ValueError(f"{path}: extensions.queues.messageEncoding must be base64 or none")
        options.message_encoding = encoding
    http = extensions.get("http") or {}
    timeout = data.get("functionTimeout")
    return HostConfig(
        route_prefix=str(http.get("routePrefix", "api")).strip("/"),
        queues=options,
        function_timeout=parse_timespan(timeout) if timeout else None,
    )


def load_local_settings(path: Path | None) -> dict[str, str]:
    """``Values`` from local.settings.json, put into the environment without overriding it."""
    if path is None or not path.exists():
        return {}
    data = json.loads(path.read_text())
    if data.get("IsEncrypted"):
        raise ValueError(f"{path}: encrypted settings are not supported by the local host")
    values = {str(k): "" if v is None else str(v) for k, v in (data.get("Values") or {}).items()}
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return values


_EXPRESSION = re.compile(r"%([^%]+)%")


def resolve(value: str) -> str:
    """Replace ``%SETTING%`` with the app setting, as the host does for binding expressions."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"binding expression %{name}% refers to a missing app setting {name}")
        return os.environ[name]

    return _EXPRESSION.sub(lookup, value)


def disabled(function_name: str) -> bool:
    return os.environ.get(f"AzureWebJobs.{function_name}.Disabled", "").lower() in ("1", "true")
