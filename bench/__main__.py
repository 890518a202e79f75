"""``python -m bench``: run every benchmark, print one table, write one JSON file.

Each benchmark is bounded in count and time; ``--quick`` shrinks the counts for a smoke run.
"""

from __future__ import annotations

import argparse
import importlib
import traceback

from bench.common import Row, save, show

# (module, quick kwargs, full kwargs); a module may run in several modes
BENCHMARKS: list[tuple[str, dict, dict]] = [
    ("bench.transport", {"calls": 200}, {"calls": 1000}),
    ("bench.intake", {"count": 100, "seconds": 60}, {"count": 1000, "seconds": 300}),
    ("bench.orders", {"count": 100, "seconds": 100}, {"count": 2000, "seconds": 900}),
    # the host as 2 worker processes sharing the queues (FUNCTIONS_WORKER_PROCESS_COUNT=2), each with the 16
    # threads of the single-process run, so 32 F&O requests in flight at most (F&O's planning cap is 52)
    (
        "bench.orders",
        {"count": 200, "seconds": 100, "processes": 2, "cap": 32},
        {"count": 2000, "seconds": 900, "processes": 2, "cap": 32},
    ),
    ("bench.refunds", {"count": 50, "seconds": 180}, {"count": 500, "seconds": 900}),
    ("bench.rates", {"callers": 200, "waves": 2, "seconds": 60}, {"callers": 200, "waves": 5, "seconds": 240}),
    ("bench.inventory", {"skus": 2000, "seconds": 120}, {"skus": 50_000, "seconds": 900}),
    ("bench.crm", {"count": 200, "seconds": 30}, {"count": 5000, "seconds": 180}),
    ("bench.catalog", {"products": 100, "variants": 20}, {"products": 2_500, "variants": 20}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", action="append", help="run only these modules, e.g. bench.intake")
    args = parser.parse_args()
    rows: list[Row] = []
    for name, quick, full in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        try:
            rows += importlib.import_module(name).run(**(quick if args.quick else full))
        except Exception:  # one failing benchmark must not hide the others' numbers
            traceback.print_exc()
            rows.append(Row(name.split(".")[-1], "FAILED", 0.0, "", note="see the traceback above"))
    show(rows)
    print(f"saved {save(rows, 'all')}")


if __name__ == "__main__":
    main()
