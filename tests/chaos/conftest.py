"""The chaos run in its CI size, once per session on the session's Azurite: 40 orders, 12 refunds
(half of them of orders refunded before any invoice: they reduce the open sales order, two refunds of
one line side by side), 30 % duplicate deliveries, shuffled, F&O faults, a small Shopify bucket and
one host crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from sandbox.harness.chaos import ChaosConfig, ChaosResult, run_chaos

CI_SIZE = ChaosConfig(orders=40, refunds=12, reduce_share=0.5, restarts=1, lease_s=15.0, deadline_s=240.0)


@pytest.fixture(scope="session")
def chaos(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> ChaosResult:
    log_dir: Path = tmp_path_factory.mktemp("chaos")
    config = ChaosConfig(**{**CI_SIZE.__dict__, "log_dir": log_dir})
    console = Console(width=140, force_terminal=False)
    result = run_chaos(config, azurite, console)
    result.report.show(console, title="Chaos (CI size)")
    console.print("timings (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items()))
    console.print(f"host logs: {log_dir}")
    return result
