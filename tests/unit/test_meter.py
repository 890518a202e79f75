"""The function CPU meter (shared.meter): one unit in EVERY is timed, with the thread's CPU clock."""

from __future__ import annotations

from shared import meter


def test_one_unit_in_every_is_sampled_and_timed() -> None:
    before = meter.snapshot().get("test.unit", {"count": 0, "cpu_ns": 0})
    for _ in range(3 * meter.EVERY):
        started = meter.start()
        sum(range(20_000))  # some CPU to time
        meter.stop("test.unit", started)
    after = meter.snapshot()["test.unit"]
    assert after["count"] - before["count"] == 3
    assert after["cpu_ns"] > before["cpu_ns"]
