"""Write the F&O outcome back onto the Shopify order: tags added (never overwritten) and metafields,
in ONE GraphQL request (two root mutation fields).

No import loop: Shopify answers these writes with an ``orders/updated`` webhook; the order flow
compares the ERP-relevant fingerprint (lines, amounts, address, shipping; not tags or metafields)
with the one it applied and ignores the echo without calling F&O.
"""

from __future__ import annotations

from integration.clients.shopify import ShopifyAdmin

NAMESPACE = "d365"
SYNCED_TAG = "D365-synced"


def tags_for(status: str, number: str) -> list[str]:
    if status == "created":
        return [SYNCED_TAG, f"D365-SO-{number}"]
    return [f"D365-{status}"]


def write_back(shopify: ShopifyAdmin, order_gid: str, number: str, status: str) -> None:
    metafields = [
        {
            "ownerId": order_gid,
            "namespace": NAMESPACE,
            "key": "sales_order_number",
            "type": "single_line_text_field",
            "value": number or "-",
        },
        {
            "ownerId": order_gid,
            "namespace": NAMESPACE,
            "key": "sync_status",
            "type": "single_line_text_field",
            "value": status,
        },
    ]
    shopify.tags_and_metafields(order_gid, tags_for(status, number), metafields)
