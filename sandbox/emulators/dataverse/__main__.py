"""python -m sandbox.emulators.dataverse --port 7104 [--prefix shop_] [--max-requests N --window-s S]"""

from __future__ import annotations

import argparse

from sandbox.emulators.dataverse.app import DataverseEmulatorConfig, ServiceLimits, create_app
from sandbox.emulators.serve import run_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.emulators.dataverse", description="Dataverse Web API emulator"
    )
    parser.add_argument("--port", type=int, default=7104)
    parser.add_argument("--prefix", default="shop_", help="publisher prefix of the custom columns")
    parser.add_argument("--token", default="local-dataverse-token", help="static bearer token always accepted")
    parser.add_argument("--max-requests", type=int, default=0, help="service protection: requests per window")
    parser.add_argument("--window-s", type=float, default=300.0)
    parser.add_argument("--max-concurrent", type=int, default=0)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    limits = ServiceLimits(max_requests=args.max_requests, window_s=args.window_s, max_concurrent=args.max_concurrent)
    config = DataverseEmulatorConfig(static_token=args.token, column_prefix=args.prefix, limits=limits)
    run_forever(create_app(config), args.port, args.log_level)


if __name__ == "__main__":
    main()
