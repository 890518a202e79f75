"""The chaos run's documents: N Shopify orders and M refunds, created in the Shopify emulator (so the
Admin API knows them when the integration re-reads an order) and turned into webhook bodies.

Orders start from the public REST order sample (addresses, customer, field shapes) with unique ids,
customers drawn from a pool (so concurrent first orders of one customer collide on the deterministic
F&O account), SKUs the F&O emulator releases, and tax lines computed the way F&O computes tax
(rate x net line amount, rounded half up per line, freight taxed), so a correct sync gives equal
totals. A few orders carry an unknown SKU: they must end as explained exceptions, never in F&O.
Refunds credit whole lines (plus the shipping on some), so Shopify's and F&O's amounts agree to the cent.

A share of the refunds (``reduce_share``) belongs to orders the harness never invoices: they reduce
the open F&O sales order (``REFUND_UNINVOICED_ACTION=reduce_order``). Each such order gets two refunds
of one unit of the same line (the second sometimes also takes another whole line), delivered side by
side, so two reductions of one line race; F&O must end at Shopify's quantity minus both.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from sandbox import SAMPLES

ORDER_SAMPLE = SAMPLES / "shopify" / "shopify_python_api__fixtures__order.json"
CENT = Decimal("0.01")
# Released products of the F&O emulator's seed (sandbox/emulators/d365/README.md) with shop prices.
SKUS = (
    ("IPOD2008GREEN", "199.00"),
    ("IPOD2008BLACK", "199.00"),
    ("IPOD2008RED", "199.00"),
    ("SNOWBOARD-GREEN", "349.95"),
    ("TSHIRT-1", "19.99"),
)
# Tax line titles mapped in config/mappings.json, with the rates of the F&O emulator's tax groups.
TAXES = (
    ("CA", "CA State Tax", "0.0725"),
    ("NY", "NY State Tax", "0.08875"),
    ("WA", "WA State Tax", "0.065"),
    ("TX", "TX State Tax", "0.0625"),
)
SHIPPING = (("Standard", "10.00"), ("Express", "25.00"), ("FedEx Ground", "12.50"), ("Free Shipping", "0.00"))
UNKNOWN_SKU = "CHAOS-NO-SUCH-SKU"


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _tax(amount: Decimal, rate: str) -> Decimal:
    return (amount * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Documents:
    orders: list[dict[str, Any]] = field(default_factory=list)  # as the emulator stored them (webhook bodies)
    updates: list[dict[str, Any]] = field(default_factory=list)  # orders/updated bodies (non-ERP changes)
    refunds: list[dict[str, Any]] = field(default_factory=list)  # refunds/create bodies
    cancels: list[dict[str, Any]] = field(default_factory=list)  # orders/cancelled bodies
    not_erp_ready: set[str] = field(default_factory=set)  # order ids expected to end as exceptions
    reduced: set[str] = field(default_factory=set)  # order ids refunded before any invoice (reduce path)

    @property
    def cancelled(self) -> set[str]:
        return {str(c["id"]) for c in self.cancels}

    def order_ids(self) -> list[str]:
        return [str(o["id"]) for o in self.orders]


def order_body(index: int, base_id: int, customer_id: int, rng: random.Random, bad: bool) -> dict[str, Any]:
    """One REST order from the public sample: unique id/number, lines, taxes and totals F&O agrees with."""
    sample = json.loads(ORDER_SAMPLE.read_text())["order"]
    state, tax_title, rate = rng.choice(TAXES)
    items, gross, discounts, tax = [], Decimal(0), Decimal(0), Decimal(0)
    chosen = rng.sample(SKUS, rng.randint(1, 3))
    if bad:
        chosen[0] = (UNKNOWN_SKU, "42.00")
    for sku, price in chosen:
        qty = rng.randint(1, 3)
        discount = rng.choice((Decimal(0), Decimal(0), Decimal("5.00"), Decimal("10.00")))
        amount = Decimal(price) * qty - discount
        line_tax = _tax(amount, rate)
        gross, discounts, tax = gross + Decimal(price) * qty, discounts + discount, tax + line_tax
        items.append(
            {
                "sku": sku,
                "quantity": qty,
                "price": price,
                "title": sku,
                "name": sku,
                "taxable": True,
                "grams": 200,
                "requires_shipping": True,
                "discount_allocations": [{"amount": money(discount), "discount_application_index": 0}]
                if discount
                else [],
                "total_discount": money(discount),
                "tax_lines": [{"title": tax_title, "rate": rate, "price": money(line_tax)}],
            }
        )
    ship_title, ship_price = rng.choice(SHIPPING)
    ship_tax = _tax(Decimal(ship_price), rate)
    tax += ship_tax
    total = gross - discounts + Decimal(ship_price) + tax
    email = f"buyer{customer_id}@example.com"
    address = {**sample["shipping_address"], "province_code": state, "phone": None}
    order = {
        key: sample[key]
        for key in (
            "buyer_accepts_marketing",
            "browser_ip",
            "landing_site",
            "referring_site",
            "source_name",
            "note_attributes",
            "processing_method",
        )
    }
    order.update(
        {
            "id": base_id + index,
            "order_number": 1001 + index,
            "currency": "USD",
            "email": email,
            "taxes_included": False,
            "financial_status": "paid",
            "customer": {
                "id": customer_id,
                "email": email,
                "phone": None,
                "first_name": "Chaos",
                "last_name": f"Buyer{customer_id % 100000}",
            },
            "shipping_address": address,
            "billing_address": copy.deepcopy(address),
            "line_items": items,
            "shipping_lines": [
                {
                    "title": ship_title,
                    "code": ship_title,
                    "price": ship_price,
                    "source": "shopify",
                    "tax_lines": [{"title": tax_title, "rate": rate, "price": money(ship_tax)}],
                }
            ],
            "tax_lines": [{"title": tax_title, "rate": rate, "price": money(tax)}],
            "total_line_items_price": money(gross),
            "total_discounts": money(discounts),
            "total_tax": money(tax),
            "subtotal_price": money(gross - discounts),
            "total_price": money(total),
        }
    )
    return order


def updated_body(order: dict[str, Any], later_s: int = 61, note: str = "leave at the back door") -> dict[str, Any]:
    """An ``orders/updated`` a merchant causes without touching what F&O holds (a note and a tag),
    stamped later than the create, so it may arrive first and the create then arrives stale."""
    body = copy.deepcopy(order)
    stamp = datetime.fromisoformat(str(order["updated_at"])) + timedelta(seconds=later_s)
    body.update({"updated_at": stamp.isoformat(), "note": note, "tags": "vip"})
    return body


def with_shipping_tax(refund: dict[str, Any], order: dict[str, Any]) -> dict[str, Any]:
    """Shopify (2024-10+) sends the refunded shipping tax in ``tax_amount_set``; the emulator omits it."""
    for line in refund.get("refund_shipping_lines") or []:
        if "tax_amount_set" not in line:
            tax = sum((Decimal(t["price"]) for t in order["shipping_lines"][0].get("tax_lines") or []), Decimal(0))
            amount = {"amount": money(tax), "currency_code": order["currency"]}
            line["tax_amount_set"] = {"shop_money": amount, "presentment_money": amount}
    return refund


def refund_total(refund: dict[str, Any]) -> Decimal:
    """What the refund credits in shop money: line subtotals + their tax + shipping + its tax."""

    def amount(holder: dict[str, Any], name: str) -> Decimal:
        return Decimal(str(((holder.get(name) or {}).get("shop_money") or {}).get("amount", "0")))

    total = sum(
        (amount(r, "subtotal_set") + amount(r, "total_tax_set") for r in refund["refund_line_items"]), Decimal(0)
    )
    return total + sum(
        (
            amount(s, "subtotal_amount_set") + amount(s, "tax_amount_set")
            for s in refund.get("refund_shipping_lines") or []
        ),
        Decimal(0),
    )


def build(
    shop: httpx.Client,
    orders: int,
    refunds: int,
    base_id: int,
    seed: int,
    bad_share: float = 0.05,
    update_share: float = 0.3,
    cancel_share: float = 0.1,
    second_refund_share: float = 0.5,
    reduce_share: float = 0.0,
) -> Documents:
    """Create the orders and refunds in the Shopify emulator (no webhooks: the harness delivers)."""
    rng = random.Random(seed)
    docs = Documents()
    customers = [base_id + 90_000 + c for c in range(max(1, min(9_999, orders // 3)))]
    bad_count = int(orders * bad_share) if orders >= 10 else 0
    bad = set(rng.sample(range(orders), bad_count))
    for index in range(orders):
        body = order_body(index, base_id, rng.choice(customers), rng, index in bad)
        response = shop.post("/_emulator/orders", params={"webhook": "false"}, json={"order": body})
        response.raise_for_status()
        order = response.json()["order"]
        docs.orders.append(order)
        if index in bad:
            docs.not_erp_ready.add(str(order["id"]))
        elif rng.random() < update_share:
            docs.updates.append(updated_body(order))
            if rng.random() < 0.5:  # two updates of one order, delivered side by side
                docs.updates.append(updated_body(order, 122, "ring twice"))
    good = [o for o in docs.orders if str(o["id"]) not in docs.not_erp_ready]
    rng.shuffle(good)
    updated = {str(u["id"]) for u in docs.updates}
    # (Orders with an update are left out: this run's update bodies carry the quantities from before
    # the refunds, which Shopify would not send after them.)
    reducible = [o for o in good if str(o["id"]) not in updated and any(li["quantity"] >= 2 for li in o["line_items"])]
    for order in reducible[: int(refunds * reduce_share) // 2]:
        docs.refunds += _refunds_before_invoice(shop, order, rng)
        docs.reduced.add(str(order["id"]))
    good = [o for o in good if str(o["id"]) not in docs.reduced]
    refunds -= len(docs.refunds)
    refunded_lines: dict[int, set[int]] = {}
    shipping_refunded: set[int] = set()
    reduce_refunds = len(docs.refunds)
    for index in range(refunds):
        order = good[index % len(good)] if good else None
        if order is None:
            break
        left = [li for li in order["line_items"] if li["id"] not in refunded_lines.get(order["id"], set())]
        if not left:
            continue  # every line of this order is refunded already: fewer refunds than asked
        line = rng.choice(left)
        refunded_lines.setdefault(order["id"], set()).add(line["id"])
        request: dict[str, Any] = {
            "refund_line_items": [
                {
                    "line_item_id": line["id"],
                    "quantity": line["quantity"],
                    "restock_type": rng.choice(("return", "no_restock")),
                }
            ]
        }
        if order["id"] not in shipping_refunded and Decimal(order["shipping_lines"][0]["price"]) and rng.random() < 0.4:
            request["shipping"] = {"full_refund": True}
            shipping_refunded.add(order["id"])
        response = shop.post(f"/_emulator/orders/{order['id']}/refunds", params={"webhook": "false"}, json=request)
        response.raise_for_status()
        docs.refunds.append(with_shipping_tax(response.json()["refund"], order))
        left = [li for li in order["line_items"] if li["id"] not in refunded_lines[order["id"]]]
        if left and len(docs.refunds) - reduce_refunds < refunds and rng.random() < second_refund_share:
            # A second refund of the same order, delivered side by side with the first.
            second = rng.choice(left)
            refunded_lines[order["id"]].add(second["id"])
            again = {"refund_line_items": [{"line_item_id": second["id"], "quantity": second["quantity"]}]}
            response = shop.post(f"/_emulator/orders/{order['id']}/refunds", params={"webhook": "false"}, json=again)
            response.raise_for_status()
            docs.refunds.append(with_shipping_tax(response.json()["refund"], order))
    refunded = {str(r["order_id"]) for r in docs.refunds}
    for order in good:
        if str(order["id"]) in refunded or rng.random() >= cancel_share:
            continue
        # Cancelled soon after checkout: orders/create and orders/cancelled arrive side by side.
        response = shop.post(f"/_emulator/orders/{order['id']}/cancel", params={"webhook": "false"}, json={})
        response.raise_for_status()
        docs.cancels.append(response.json()["order"])
    return docs


def _refunds_before_invoice(shop: httpx.Client, order: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """Two refunds of one unit each of a line ordered twice or more (the first sometimes also takes
    another whole line); no shipping: only line quantities can reduce an open sales order."""
    line = rng.choice([li for li in order["line_items"] if li["quantity"] >= 2])
    others = [li for li in order["line_items"] if li["id"] != line["id"]]
    first = [{"line_item_id": line["id"], "quantity": 1, "restock_type": "cancel"}]
    if others and rng.random() < 0.5:
        other = rng.choice(others)
        first.append({"line_item_id": other["id"], "quantity": other["quantity"], "restock_type": "no_restock"})
    second = [{"line_item_id": line["id"], "quantity": 1, "restock_type": "no_restock"}]
    made = []
    for lines in (first, second):
        response = shop.post(
            f"/_emulator/orders/{order['id']}/refunds", params={"webhook": "false"}, json={"refund_line_items": lines}
        )
        response.raise_for_status()
        made.append(response.json()["refund"])
    return made
