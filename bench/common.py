"""Shared pieces of the benchmarks: result rows, percentiles, the table and the JSON file."""

from __future__ import annotations

import json
import math
import platform
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    benchmark: str
    metric: str
    measured: float
    unit: str
    limit: float | None = None
    limit_note: str = ""
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.limit in (None, 0):
            return None
        return self.measured / self.limit


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def show(rows: list[Row], console: Console | None = None) -> None:
    table = Table("benchmark", "metric", "measured", "limit", "ratio", "notes", title="Benchmarks")
    for row in rows:
        limit = "" if row.limit is None else f"{row.limit:,.1f} {row.unit} ({row.limit_note})"
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}"
        table.add_row(row.benchmark, row.metric, f"{row.measured:,.1f} {row.unit}", limit, ratio, row.note)
    (console or Console()).print(table)


def save(rows: list[Row], name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(
        json.dumps(
            {
                "at": datetime.now(UTC).isoformat(),
                "machine": platform.platform(),
                "rows": [asdict(r) | {"ratio": r.ratio} for r in rows],
            },
            indent=2,
        )
    )
    return path


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def passed(self) -> bool:
        return time.monotonic() > self.end
