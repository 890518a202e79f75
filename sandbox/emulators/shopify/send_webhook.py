"""Send signed Shopify webhooks from the command line.

    python -m sandbox.emulators.shopify.send_webhook --url http://127.0.0.1:7071/api/shopify/webhooks \\
        --secret S --topic orders/create --file order.json [--file more.json ...] \\
        [--duplicates N] [--shuffle-seed SEED] [--shop-domain shop.myshopify.com] [--api-version 2026-10]

Each ``--file`` is one delivery (its bytes are sent exactly as stored, so a sample's signature is
over the file's own bytes). A file holding ``{"order": {...}}`` or ``{"refund": {...}}`` (the REST
fixture wrapper) is unwrapped first, because webhook bodies are the bare resource.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sandbox.emulators.shopify.webhooks import DEFAULT_API_VERSION, DEFAULT_SHOP_DOMAIN, Delivery, deliver_many

WRAPPERS = ("order", "refund", "customer", "fulfillment")


def load_body(path: Path) -> bytes:
    raw = path.read_bytes()
    try:
        data = json.loads(raw)
    except ValueError:
        return raw  # not JSON: send as is (useful to test the receiver's 4xx path)
    if isinstance(data, dict) and len(data) == 1 and next(iter(data)) in WRAPPERS:
        return json.dumps(next(iter(data.values())), ensure_ascii=False, separators=(",", ":")).encode()
    return raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--secret", required=True, help="the app's client secret (HMAC key)")
    parser.add_argument("--topic", required=True, help="e.g. orders/create")
    parser.add_argument("--file", required=True, action="append", type=Path, dest="files")
    parser.add_argument(
        "--duplicates", type=int, default=0, help="re-send each delivery N more times with the same Webhook-Id"
    )
    parser.add_argument("--shuffle-seed", type=int, default=None, help="send in a shuffled order")
    parser.add_argument("--shop-domain", default=DEFAULT_SHOP_DOMAIN)
    parser.add_argument("--api-version", default=DEFAULT_API_VERSION)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)

    deliveries = [Delivery(topic=args.topic, body=load_body(path)) for path in args.files]
    results = deliver_many(
        args.url,
        deliveries,
        args.secret,
        duplicates=args.duplicates,
        shuffle_seed=args.shuffle_seed,
        shop_domain=args.shop_domain,
        api_version=args.api_version,
        timeout=args.timeout,
    )
    failed = 0
    for delivery, response in results:
        print(f"{response.status_code} {delivery.topic} webhook_id={delivery.webhook_id} bytes={len(delivery.body)}")
        failed += not response.is_success
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
