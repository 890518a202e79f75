"""Shopify orders the F&O emulator accepts as ERP-ready, for the demo, tests and benchmarks.

The tax is what F&O computes (rate x line amount, rounded half-up per line, freight taxed too), so a
correct mapping gives equal totals; SKUs, the shipping method and the tax title match the F&O
emulator's seed data and config/mappings.json.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def erp_ready_order(
    lines: list[tuple[str, int, str, str]] | None = None,
    shipping: tuple[str, str] = ("Standard", "10.00"),
    state: str = "CA",
    tax_title: str = "CA State Tax",
    rate: str = "0.0725",
    customer_id: int = 501,
    email: str = "ada@example.com",
    phone: str = "+1 415 555 0100",
    order_number: int | None = None,
) -> dict[str, Any]:
    """A REST order body. ``lines``: (sku, quantity, unit price, line discount)."""
    lines = lines or [("IPOD2008GREEN", 2, "199.00", "10.00"), ("IPOD2008RED", 1, "199.00", "0.00")]
    r = Decimal(rate)
    items, gross, discounts, tax = [], Decimal(0), Decimal(0), Decimal(0)
    for sku, qty, price, discount in lines:
        amount = Decimal(price) * qty - Decimal(discount)
        line_tax = (amount * r).quantize(CENT, rounding=ROUND_HALF_UP)
        gross, discounts, tax = gross + Decimal(price) * qty, discounts + Decimal(discount), tax + line_tax
        items.append(
            {
                "sku": sku,
                "quantity": qty,
                "price": price,
                "title": sku,
                "taxable": True,
                "discount_allocations": [{"amount": discount, "discount_application_index": 0}]
                if Decimal(discount)
                else [],
                "tax_lines": [{"title": tax_title, "rate": rate, "price": money(line_tax)}],
            }
        )
    ship_tax = (Decimal(shipping[1]) * r).quantize(CENT, rounding=ROUND_HALF_UP)
    tax += ship_tax
    total = gross - discounts + Decimal(shipping[1]) + tax
    address = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "address1": "1 Market St",
        "city": "San Francisco",
        "province_code": state,
        "zip": "94105",
        "country_code": "US",
        "country": "United States",
    }
    body: dict[str, Any] = {
        "currency": "USD",
        "email": email,
        "taxes_included": False,
        "customer": {"id": customer_id, "email": email, "phone": phone, "first_name": "Ada", "last_name": "Lovelace"},
        "shipping_address": address,
        "billing_address": address,
        "line_items": items,
        "shipping_lines": [
            {
                "title": shipping[0],
                "code": shipping[0],
                "price": shipping[1],
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
    if order_number:
        body["order_number"] = order_number
    return body
