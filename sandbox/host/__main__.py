"""``python -m sandbox.host``: run function_app.py locally without Core Tools."""

from __future__ import annotations

import argparse
from pathlib import Path

from sandbox.host.server import main_args


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.host", description=__doc__)
    parser.add_argument("--app-dir", default=".", help="folder with function_app.py and host.json")
    parser.add_argument("--port", type=int, default=7071, help="HTTP port (0 = any free port)")
    parser.add_argument(
        "--settings",
        default=None,
        help="local.settings.json to load (default: <app-dir>/local.settings.json if present)",
    )
    args = parser.parse_args()
    if args.settings is None:
        default = Path(args.app_dir) / "local.settings.json"
        args.settings = str(default) if default.exists() else ""
    main_args(args)


if __name__ == "__main__":
    main()
