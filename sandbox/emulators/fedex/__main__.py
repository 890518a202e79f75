"""``python -m sandbox.emulators.fedex --port 7103 [--seed S] [--latency-ms X]``: run the FedEx emulator."""

from __future__ import annotations

import argparse

from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.fedex.app import create_app
from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.serve import run_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.emulators.fedex", description=__doc__)
    parser.add_argument("--port", type=int, default=7103)
    parser.add_argument("--seed", type=int, default=None, help="seed for injected faults")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every call")
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--client-id", default=FedexEmulatorConfig.client_id)
    parser.add_argument("--client-secret", default=FedexEmulatorConfig.client_secret)
    parser.add_argument("--account-number", default=FedexEmulatorConfig.account_number)
    parser.add_argument("--token-lifetime", type=float, default=FedexEmulatorConfig.token_lifetime_s)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    config = FedexEmulatorConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        account_number=args.account_number,
        token_lifetime_s=args.token_lifetime,
        faults=FaultConfig(seed=args.seed, latency_ms=args.latency_ms, jitter_ms=args.jitter_ms),
    )
    run_forever(create_app(config), args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
