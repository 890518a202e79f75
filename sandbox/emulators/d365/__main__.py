"""python -m sandbox.emulators.d365 --port 7101 [--page-size N] [--seed S] [--latency-ms X] ..."""

from __future__ import annotations

import argparse

from sandbox.emulators.d365.app import create_app
from sandbox.emulators.d365.config import D365EmulatorConfig, ThrottleConfig
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.serve import HOST, run_forever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.emulators.d365",
        description="Dynamics 365 F&O OData emulator (local development and tests)",
    )
    parser.add_argument("--port", type=int, default=7101)
    parser.add_argument("--page-size", type=int, default=10_000, help="server-driven page size (real max 10000)")
    parser.add_argument("--company", default="dat", help="default legal entity of the service user")
    parser.add_argument("--token", default="local-dev-token", help="static bearer token always accepted")
    parser.add_argument("--client-id", default="local-client-id")
    parser.add_argument("--client-secret", default="local-client-secret")
    parser.add_argument("--seed", type=int, default=None, help="seed of the fault and throttle decisions")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--rate-429", type=float, default=0.0)
    parser.add_argument("--rate-500", type=float, default=0.0)
    parser.add_argument("--rate-503", type=float, default=0.0)
    parser.add_argument("--rate-timeout", type=float, default=0.0)
    parser.add_argument("--rate-lost-response", type=float, default=0.0)
    parser.add_argument("--throttle-max-requests", type=int, default=0, help="per token per --throttle-window-s")
    parser.add_argument("--throttle-window-s", type=float, default=300.0)
    parser.add_argument("--throttle-max-concurrent", type=int, default=0)
    parser.add_argument("--no-auth", action="store_true", help="accept /data requests without a token")
    parser.add_argument("--empty", action="store_true", help="start without demo data")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    faults = FaultConfig(
        seed=args.seed,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        rate_429=args.rate_429,
        rate_500=args.rate_500,
        rate_503=args.rate_503,
        rate_timeout=args.rate_timeout,
        rate_lost_response=args.rate_lost_response,
    )
    config = D365EmulatorConfig(
        default_company=args.company,
        page_size=args.page_size,
        static_token=args.token,
        client_id=args.client_id,
        client_secret=args.client_secret,
        require_auth=not args.no_auth,
        seed_demo_data=not args.empty,
        faults=faults,
        throttle=ThrottleConfig(
            max_requests=args.throttle_max_requests,
            window_s=args.throttle_window_s,
            max_concurrent=args.throttle_max_concurrent,
            seed=args.seed,
        ),
    )
    url = f"http://{HOST}:{args.port}"
    print(f"D365 F&O emulator on {url}")
    print(f"  OData service root  {url}/data/   ($metadata, $batch; default company {args.company})")
    print(f"  static bearer token {args.token}   (D365_URL={url} D365_TOKEN={args.token})")
    print(
        f"  token endpoint      POST {url}/<tenant>/oauth2/v2.0/token  client_id={args.client_id} "
        f"client_secret={args.client_secret} scope={url}/.default"
    )
    print(
        f"  operator API        {url}/_emulator/state | reset | items | customers | tax-groups | on-hand | "
        f"sales-orders/<n>/invoice|packing-slip|cancel | return-orders/<n>/invoice | settings | throttling | "
        f"requests | faults",
        flush=True,
    )
    run_forever(create_app(config), args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
