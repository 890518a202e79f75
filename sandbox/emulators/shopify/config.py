"""Start-up settings of the Shopify emulator (everything has a working local default)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.shopify.webhooks import DEFAULT_API_VERSION, DEFAULT_SHOP_DOMAIN


@dataclass
class ShopifyEmulatorConfig:
    access_token: str = "shpat_local_dev"
    # The app's client secret: signs webhooks (and is what the integration verifies against).
    api_secret: str = "shpss_local_dev"
    shop_domain: str = DEFAULT_SHOP_DOMAIN
    shop_name: str = "Local Dev Store"
    currency_code: str = "USD"
    api_version: str = DEFAULT_API_VERSION  # used for webhook payloads when a subscription has none
    # GraphQL calculated query cost bucket (reference §4.4: Standard plan 2000 / 100 per second).
    bucket_max: float = 2000.0
    restore_rate: float = 100.0
    max_query_cost: int = 1000
    # The REST Admin API is legacy (Oct 2024) and new public apps are GraphQL only (Apr 2025): its
    # order endpoints are served only when asked for (the emulator's own tests inspect state with
    # them); otherwise they answer 404 like any unknown path, so an app that still calls them fails.
    legacy_rest: bool = False
    # Access scopes the app installation was granted (currentAppInstallation.accessScopes).
    access_scopes: list[str] = field(
        default_factory=lambda: [
            "read_customers",
            "write_orders",
            "write_inventory",
            "read_locations",
            "write_merchant_managed_fulfillment_orders",
            "write_shipping",
        ]
    )
    # REST leaky bucket (classic 40 calls, leaking 2 per second).
    rest_bucket_size: int = 40
    rest_leak_rate: float = 2.0
    # Locations created at start/reset; with split_locations the line items of each new order are
    # spread round-robin over the first two locations (one fulfillment order per location).
    locations: list[str] = field(default_factory=lambda: ["Main Warehouse", "East Warehouse"])
    split_locations: bool = False
    # On-hand quantity given to an inventory item created on the fly for an unknown order SKU.
    default_on_hand: int = 100
    # Fire orders/updated (and fulfillment topics) to subscribers when the API changes an order.
    fire_orders_updated: bool = False
    webhook_timeout: float = 5.0
    # First numeric id handed out; ids then count up (deterministic runs).
    id_start: int = 7_000_000_000_000
    faults: FaultConfig | None = None
    # Monotonic clock for the rate-limit buckets; tests inject a fake one to move time by hand.
    clock: Callable[[], float] = time.monotonic
