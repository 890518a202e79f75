"""Shopify preflight: token and API version, access scopes, webhook subscriptions, carrier service."""

from __future__ import annotations

from typing import Any

from integration.clients.shopify import ShopifyAdmin, ShopifyAuthError
from integration.doctor.check import Check, guarded
from shared.settings import Settings

SYSTEM = "Shopify"
# Access scopes the app needs, with what for (Shopify's scope names).
REQUIRED_SCOPES = {
    "read_orders": "order re-fetch, reconciliation, refunds",
    "write_orders": "tags and metafields write-back",
    "read_customers": "customer sync",
    "read_inventory": "inventory levels",
    "write_inventory": "inventory push",
    "read_locations": "inventory locations",
    "read_merchant_managed_fulfillment_orders": "fulfillment sync",
    "write_merchant_managed_fulfillment_orders": "fulfillment sync",
    "write_shipping": "carrier service (checkout rates)",
}
WEBHOOK_TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "CUSTOMERS_CREATE",
    "CUSTOMERS_UPDATE",
    "APP_UNINSTALLED",
)

VERSIONS = """query doctorVersions { shop { name } publicApiVersions { handle supported } }"""
SCOPES = """query doctorScopes { currentAppInstallation { accessScopes { handle } } }"""
SUBSCRIPTIONS = """query doctorWebhooks { webhookSubscriptions(first: 100) { nodes { topic uri } } }"""
CARRIERS = """query doctorCarriers { carrierServices(first: 20) { nodes { name callbackUrl active } } }"""


def checks(settings: Settings, app_url: str) -> list[Check]:
    if not settings.SHOPIFY_ADMIN_TOKEN.get_secret_value() or not (
        settings.SHOPIFY_SHOP_DOMAIN or settings.SHOPIFY_ADMIN_URL
    ):
        return [Check(SYSTEM, "settings", False, "SHOPIFY_ADMIN_TOKEN / SHOPIFY_SHOP_DOMAIN not set", "set both")]
    admin = ShopifyAdmin.from_settings(settings)
    try:
        out = guarded(SYSTEM, "token and API version", "check SHOPIFY_ADMIN_TOKEN", lambda: _versions(admin))
        if any(c.name == "token" and c.ok is False for c in out):
            return out
        out += guarded(SYSTEM, "access scopes", "grant the scopes in the app's configuration", lambda: _scopes(admin))
        base = app_url.rstrip("/")
        if not base:
            out.append(Check(SYSTEM, "webhooks and carrier service", None, "no app URL given", "run with --app-url"))
            return out
        out += guarded(
            SYSTEM, "webhooks", "run `python -m integration.cli register --app-url …`", lambda: _webhooks(admin, base)
        )
        out += guarded(
            SYSTEM,
            "carrier service",
            "run `python -m integration.cli register --app-url …`",
            lambda: _carrier(admin, base),
        )
        return out
    finally:
        admin.close()


def _versions(admin: ShopifyAdmin) -> list[Check]:
    try:
        data = admin.graphql(VERSIONS)
    except ShopifyAuthError as error:
        return [
            Check(SYSTEM, "token", False, str(error)[:200], "check SHOPIFY_ADMIN_TOKEN (and that the app is installed)")
        ]
    supported = {v["handle"] for v in data.get("publicApiVersions") or [] if v.get("supported")}
    configured, reported = admin.configured_version, admin.api_version
    ok = configured in supported and reported == configured
    detail = f"configured {configured}, served {reported}; supported: {', '.join(sorted(supported))}"
    return [
        Check(SYSTEM, "token", True, "accepted"),
        Check(
            SYSTEM,
            "API version",
            ok,
            detail,
            "" if ok else f"set SHOPIFY_API_VERSION to one of {', '.join(sorted(supported))}",
        ),
    ]


def _scopes(admin: ShopifyAdmin) -> Check:
    data = admin.graphql(SCOPES)
    granted = {s["handle"] for s in ((data.get("currentAppInstallation") or {}).get("accessScopes") or [])}
    # A write scope implies its read scope.
    granted |= {s.replace("write_", "read_", 1) for s in granted if s.startswith("write_")}
    missing = sorted(set(REQUIRED_SCOPES) - granted)
    detail = (
        "; ".join(f"{s} ({REQUIRED_SCOPES[s]})" for s in missing)
        if missing
        else f"{len(REQUIRED_SCOPES)} scope(s) granted"
    )
    return Check(
        SYSTEM,
        "access scopes",
        not missing,
        detail,
        "add the missing scopes and reinstall/approve the app" if missing else "",
    )


def _webhooks(admin: ShopifyAdmin, base: str) -> Check:
    nodes: list[dict[str, Any]] = (admin.graphql(SUBSCRIPTIONS).get("webhookSubscriptions") or {}).get("nodes") or []
    target = f"{base}/api/shopify/webhooks"
    here = {n.get("topic") for n in nodes if n.get("uri") == target}
    missing = [t for t in WEBHOOK_TOPICS if t not in here]
    detail = (
        f"missing for {target}: {', '.join(missing)}"
        if missing
        else f"{len(WEBHOOK_TOPICS)} topic(s) point at {target}"
    )
    return Check(
        SYSTEM,
        "webhooks",
        not missing,
        detail,
        "run `python -m integration.cli register --app-url …`" if missing else "",
    )


def _carrier(admin: ShopifyAdmin, base: str) -> Check:
    nodes = (admin.graphql(CARRIERS).get("carrierServices") or {}).get("nodes") or []
    target = f"{base}/api/shopify/carrier-rates"
    ok = any(n.get("callbackUrl") == target and n.get("active") for n in nodes)
    return Check(
        SYSTEM,
        "carrier service",
        ok,
        f"an active carrier service calls {target}" if ok else f"no active carrier service calls {target}",
        "" if ok else "run `python -m integration.cli register --app-url …` (needs write_shipping)",
    )
