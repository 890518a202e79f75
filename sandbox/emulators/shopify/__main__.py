"""python -m sandbox.emulators.shopify --port 7102 [--seed S] [--token T] [--secret S] [--webhook-url URL] ..."""

from __future__ import annotations

import argparse
import json

from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.serve import run_forever
from sandbox.emulators.shopify.app import create_app
from sandbox.emulators.shopify.config import ShopifyEmulatorConfig
from sandbox.emulators.shopify.emulator import DEFAULT_TOPICS
from sandbox.emulators.shopify.store import Subscription, now_rest


def main(argv: list[str] | None = None) -> None:
    defaults = ShopifyEmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.emulators.shopify", description="Shopify Admin API emulator"
    )
    parser.add_argument("--port", type=int, default=7102)
    parser.add_argument("--seed", type=int, default=None, help="seed for injected faults")
    parser.add_argument("--faults", default="{}", help="fault settings as JSON, e.g. '{\"rate_429\": 0.1}'")
    parser.add_argument("--token", default=defaults.access_token, help="accepted X-Shopify-Access-Token")
    parser.add_argument("--secret", default=defaults.api_secret, help="client secret that signs webhooks")
    parser.add_argument("--shop-domain", default=defaults.shop_domain)
    parser.add_argument("--api-version", default=defaults.api_version, help="version of webhook payloads")
    parser.add_argument("--bucket-max", type=float, default=defaults.bucket_max)
    parser.add_argument("--restore-rate", type=float, default=defaults.restore_rate)
    parser.add_argument("--split-locations", action="store_true")
    parser.add_argument("--fire-orders-updated", action="store_true")
    parser.add_argument("--webhook-url", default=None, help="subscribe this URL to order/refund topics")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    faults = FaultConfig.from_dict({"seed": args.seed, **json.loads(args.faults)})
    config = ShopifyEmulatorConfig(
        access_token=args.token,
        api_secret=args.secret,
        shop_domain=args.shop_domain,
        api_version=args.api_version,
        bucket_max=args.bucket_max,
        restore_rate=args.restore_rate,
        split_locations=args.split_locations,
        fire_orders_updated=args.fire_orders_updated,
        faults=faults,
    )
    app = create_app(config)
    if args.webhook_url:
        store = app.app.state.emulator.store  # type: ignore[attr-defined]
        for topic in DEFAULT_TOPICS:
            sub = Subscription(store.next_id(), topic, args.webhook_url, args.api_version, now_rest())
            store.subscriptions[sub.id] = sub
    run_forever(app, args.port, args.log_level)


if __name__ == "__main__":
    main()
