"""``python -m sandbox.harness.chaos [--orders 2000] [--refunds 500] [--reduce-share 0.4] [--restarts 2]``
``[--minutes 40]``

``--reduce-share`` is the share of the refunds made before any invoice: those orders are never
invoiced, their refunds reduce the open F&O sales order (``REFUND_UNINVOICED_ACTION=reduce_order``),
two refunds of one line side by side; 0 runs every refund the credit-note way (``wait``).

Starts its own Azurite (or uses ``--storage``), runs the chaos scenario, prints the reconciliation
table and exits non-zero when any document was lost or duplicated, a total differs, or the run did not
drain within its time budget. The table is also written as JSON to ``.local/chaos-<time>.json``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from datetime import UTC, datetime

from rich.console import Console

from sandbox.harness import APP_ROOT as ROOT
from sandbox.harness.chaos.chaos_stack import Bucket, Faults
from sandbox.harness.chaos.run import ChaosConfig, run_chaos
from sandbox.harness.stack import azurite


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.harness.chaos",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--refunds", type=int, default=500)
    parser.add_argument("--restarts", type=int, default=2, help="host crashes during the run")
    parser.add_argument(
        "--reduce-share", type=float, default=0.4, help="share of the refunds made before any invoice (reduce)"
    )
    parser.add_argument("--duplicates", type=float, default=0.3, help="share of deliveries sent twice")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--minutes", type=float, default=40, help="time budget for the whole run")
    parser.add_argument("--lease", type=float, default=30, help="seconds a killed host's messages stay leased")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent webhook senders")
    parser.add_argument("--threads", type=int, default=16, help="the host's PYTHON_THREADPOOL_THREAD_COUNT")
    parser.add_argument("--bucket-max", type=float, default=100, help="Shopify GraphQL cost bucket size")
    parser.add_argument("--restore-rate", type=float, default=100, help="Shopify bucket restore rate per second")
    parser.add_argument("--no-faults", action="store_true", help="no F&O fault injection")
    parser.add_argument("--storage", default="", help="an AzureWebJobsStorage connection string to use")
    args = parser.parse_args(argv)

    console = Console(width=140)
    out_dir = ROOT / ".local"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log_dir = out_dir / f"chaos-{stamp}"
    log_dir.mkdir(parents=True, exist_ok=True)
    config = ChaosConfig(
        orders=args.orders,
        refunds=args.refunds,
        reduce_share=args.reduce_share,
        restarts=args.restarts,
        duplicate_share=args.duplicates,
        seed=args.seed,
        faults=None if args.no_faults else Faults(),
        bucket=Bucket(maximum_available=args.bucket_max, restore_rate=args.restore_rate),
        lease_s=args.lease,
        threads=args.threads,
        refund_retry_s=(2.0, 30.0),
        concurrency=args.concurrency,
        deadline_s=args.minutes * 60,
        log_dir=log_dir,
    )
    # SIGTERM (e.g. `timeout`) unwinds like Ctrl-C, so the host and Azurite started here are stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    instance = None if args.storage else azurite.start()
    try:
        result = run_chaos(config, args.storage or instance.connection_string, console)  # type: ignore[union-attr]
    finally:
        if instance is not None:
            instance.stop()
    result.report.show(
        console, title=f"Chaos: {args.orders} orders, {args.refunds} refunds, {args.restarts} host crashes"
    )
    console.print("timings (s): " + ", ".join(f"{k} {v}" for k, v in result.timings.items()))
    path = out_dir / f"chaos-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                "at": stamp,
                "config": {k: str(v) for k, v in vars(args).items()},
                "timings": result.timings,
                **result.report.as_dict(),
            },
            indent=2,
            default=str,
        )
    )
    console.print(f"saved {path} (host logs in {log_dir})")
    if result.ok:
        console.print("[bold green]chaos: nothing lost, nothing duplicated, every difference explained[/]")
        return 0
    console.print(f"[bold red]chaos: {len(result.report.failures)} check(s) failed[/]")
    return 1


if __name__ == "__main__":
    sys.exit(main())
