"""Shopify -> Dataverse field mapping for the CRM flow. Pure: no I/O, tested against the vendored samples.

* contact / account: ``firstname``, ``lastname``, ``emailaddress1`` (lower case), ``telephone1`` (E.164),
  ``address1_*`` (the default address; country as a name or ISO code, state as its code). A value
  Shopify does not have is left out, so it never blanks what CRM holds.
* salesorder: ``name``, the Shopify id (alternate key) and name, currency, customer, freight,
  ``shipto_*`` / ``billto_*``. Lines go to ``salesorderdetail`` as write-in products
  (``isproductoverridden``, ``productdescription``) or existing products, always with Shopify's unit
  price (``ispriceoverridden``), quantity, the line's discount (``manualdiscountamount``, line-level and
  allocated order-level discounts) and tax (``tax``). Order-level ``discountamount`` stays 0: Shopify
  allocates every order discount to lines or shipping. Tax on shipping has no Dataverse column, so it
  travels as a write-in line "Shipping tax" (price 0, tax = the shipping tax), which keeps ``totaltax``
  and ``totalamount`` equal to Shopify's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

import pycountry

from integration.clients.dataverse import bind
from integration.crm.config import CrmConfig
from integration.customers.model import ShopifyCustomer
from integration.orders.contact import country_iso3, normalize_email, normalize_phone
from integration.orders.model import Address, Order

ZERO = Decimal("0")
PRICE_PLACES = Decimal("0.0001")  # Dataverse money columns hold up to 4 decimals
TOTAL_MISMATCH = "CRM_TOTAL_MISMATCH"


@dataclass(frozen=True)
class Person:
    """Who a contact is, from a Shopify customer (order ``customer`` or a ``customers/*`` body)."""

    customer_id: str  # Shopify customer id, or "g-<hash>" for a guest (see matching.py)
    email: str = ""
    phone: str = ""  # E.164 or ""
    first_name: str = ""
    last_name: str = ""
    address: Address | None = None
    # Shopify's updated_at of these values (UTC ISO 8601, "" if unknown): an older snapshot never overwrites
    # a newer one in an owned contact (matching.py).
    updated_at: str = ""


@dataclass(frozen=True)
class Line:
    key: str
    body: dict[str, Any]
    amount: Decimal  # what Dataverse will compute as extendedamount


@dataclass(frozen=True)
class OrderPlan:
    header: dict[str, Any]
    lines: tuple[Line, ...]
    total: Decimal  # Dataverse's totalamount for this plan
    shopify_total: Decimal

    @property
    def difference(self) -> Decimal:
        return self.total - self.shopify_total


def person_from_order(order: Order, customer_id: str) -> Person:
    customer = order.customer
    address = (customer.default_address if customer else None) or order.billing_address or order.shipping_address
    region = address.country_code if address else ""
    raw_phone = (customer.phone if customer else "") or order.phone or (address.phone if address else "")
    return Person(
        customer_id=customer_id,
        email=normalize_email((customer.email if customer else "") or order.email),
        phone=normalize_phone(raw_phone, region),
        first_name=(customer.first_name if customer else "") or (address.first_name if address else ""),
        last_name=(customer.last_name if customer else "") or (address.last_name if address else ""),
        address=address,
        updated_at=utc_text(customer.updated_at if customer else None),
    )


def person_from_customer(customer: ShopifyCustomer) -> Person:
    """The person of a ``customers/*`` body (``integration.customers.model.parse_customer``)."""
    address = customer.default_address
    region = address.country_code if address else ""
    return Person(
        customer_id=str(customer.id),
        email=normalize_email(customer.email),
        phone=normalize_phone(customer.phone or (address.phone if address else ""), region),
        first_name=customer.first_name,
        last_name=customer.last_name,
        address=address,
        updated_at=utc_text(customer.updated_at),
    )


def utc_text(moment: datetime | None) -> str:
    """A comparable text of a Shopify timestamp (UTC, ISO 8601), "" when there is none."""
    return moment.astimezone(UTC).isoformat() if moment is not None and moment.tzinfo is not None else ""


def country(code: str, fmt: str) -> str:
    code = (code or "").strip().upper()
    if not code:
        return ""
    if fmt == "iso2":
        return code
    if fmt == "iso3":
        return country_iso3(code)
    found = pycountry.countries.get(alpha_2=code)
    return str(found.name) if found is not None else ""


def address_fields(prefix: str, address: Address | None, fmt: str) -> dict[str, str]:
    """``address1_*`` (or ``shipto_*`` / ``billto_*``) from a Shopify address; empty parts left out."""
    if address is None:
        return {}
    fields = {
        f"{prefix}line1": address.address1,
        f"{prefix}line2": address.address2,
        f"{prefix}city": address.city,
        f"{prefix}stateorprovince": address.province_code or address.province,
        f"{prefix}postalcode": address.zip,
        f"{prefix}country": country(address.country_code, fmt) or address.country,
    }
    return {k: v for k, v in fields.items() if v}


def contact_body(person: Person, config: CrmConfig) -> dict[str, Any]:
    body: dict[str, Any] = {
        "firstname": person.first_name,
        "lastname": person.last_name or person.first_name or person.email.split("@")[0] or person.customer_id,
        "emailaddress1": person.email,
        "telephone1": person.phone,
        **address_fields("address1_", person.address, config.country_format),
    }
    return {k: v for k, v in body.items() if v}


def account_body(company_id: str, name: str, address: Address | None, config: CrmConfig) -> dict[str, Any]:
    return {
        "name": name or f"Shopify company {company_id}",
        **address_fields("address1_", address, config.country_format),
    }


def company_of(payload: dict[str, Any]) -> str:
    """The B2B company id of an order body (``company.id``), or ""."""
    company = payload.get("company")
    return str(company.get("id") or "") if isinstance(company, dict) else ""


def _tax(lines: Any) -> Decimal:
    return sum((t.price.shop for t in lines), ZERO)


def order_plan(
    order: Order,
    config: CrmConfig,
    *,
    customer: tuple[str, str],
    currency_id: str,
    products: dict[str, tuple[str, str]] | None = None,
) -> OrderPlan:
    """The salesorder header and its lines. ``customer`` is (navigation property, bind path), e.g.
    ``("customerid_contact", "/contacts(...)")``; ``products``: SKU -> (productid, uomid) for the lines
    that use existing products (product mode ``sku``); other lines are write-ins."""
    products = products or {}
    order_ref = bind("salesorders", {config.order_key: str(order.id)})
    freight = sum((s.price.shop - s.discount.shop for s in order.shipping_lines if not s.is_removed), ZERO)
    header: dict[str, Any] = {
        "name": f"Shopify {order.name}"[:300],
        config.order_key: str(order.id),
        config.order_name: order.name,
        "transactioncurrencyid@odata.bind": bind("transactioncurrencies", currency_id),
        f"{customer[0]}@odata.bind": customer[1],
        "freightamount": freight,
        "discountamount": ZERO,
        **address_fields("shipto_", order.shipping_address, config.country_format),
        **address_fields("billto_", order.billing_address, config.country_format),
    }
    if order.shipping_address and order.shipping_address.full_name:
        header["shipto_name"] = order.shipping_address.full_name
    if config.product_mode == "sku" and config.price_list_id:
        header["pricelevelid@odata.bind"] = bind("pricelevels", config.price_list_id)
    lines = [_line(order, line, index, order_ref, config, products) for index, line in enumerate(order.lines, 1)]
    shipping_tax = sum((_tax(s.tax_lines) for s in order.shipping_lines if not s.is_removed), ZERO)
    if not order.taxes_included:
        if shipping_tax:
            lines.append(_tax_line(order, config, order_ref, "shipping-tax", "Shipping tax", shipping_tax, len(lines)))
        # Older payloads carry the tax only at order level: what no line or shipping line holds.
        unallocated = order.total_tax.shop - sum((ln.body["tax"] for ln in lines), ZERO)
        if unallocated and not any(line.tax_lines for line in order.lines):
            lines.append(_tax_line(order, config, order_ref, "order-tax", "Order tax", unallocated, len(lines)))
    total = sum((line.amount for line in lines), ZERO) + freight
    return OrderPlan(header, tuple(lines), total, order.total_price.shop)


def _tax_line(
    order: Order, config: CrmConfig, order_ref: str, suffix: str, title: str, tax: Decimal, count: int
) -> Line:
    body = {
        config.line_key: f"{order.id}-{suffix}",
        "salesorderid@odata.bind": order_ref,
        "isproductoverridden": True,
        "productdescription": title,
        "ispriceoverridden": True,
        "priceperunit": ZERO,
        "quantity": Decimal(1),
        "manualdiscountamount": ZERO,
        "tax": tax,
        "lineitemnumber": count + 1,
    }
    return Line(str(body[config.line_key]), body, tax)


def _line(
    order: Order,
    line: Any,
    index: int,
    order_ref: str,
    config: CrmConfig,
    products: dict[str, tuple[str, str]],
) -> Line:
    quantity = Decimal(line.quantity)
    price, discount, tax = line.price.shop, line.discount.shop, _tax(line.tax_lines)
    if order.taxes_included and tax and quantity:
        # Shopify's price includes the tax; Dataverse adds ``tax`` on top. The net unit price is rounded
        # up to Dataverse's 4 decimals and the sub-cent remainder goes into the discount, so the line
        # still totals exactly what Shopify charged.
        net = (price * quantity - tax) / quantity
        price = net.quantize(PRICE_PLACES, rounding=ROUND_CEILING)
        discount += price * quantity - (line.price.shop * quantity - tax)
    body: dict[str, Any] = {
        config.line_key: str(line.id),
        "salesorderid@odata.bind": order_ref,
        "ispriceoverridden": True,
        "priceperunit": price,
        "quantity": quantity,
        "manualdiscountamount": discount,
        "tax": tax,
        "lineitemnumber": index,
    }
    product = products.get(line.sku) if line.sku else None
    if product is not None:
        body.update(
            {
                "isproductoverridden": False,
                "productid@odata.bind": bind("products", product[0]),
                "uomid@odata.bind": bind("uoms", product[1]),
            }
        )
    else:
        title = line.title or line.sku or f"Shopify line {line.id}"
        body.update(
            {"isproductoverridden": True, "productdescription": (f"{title} ({line.sku})" if line.sku else title)[:500]}
        )
    return Line(str(line.id), body, price * quantity - discount + tax)


# ---- lifecycle ----------------------------------------------------------------------------------
# salesorder statecode/statuscode (Dataverse's salesorder choices): Active 0 {New 1, Pending 2},
# Submitted 1 {In Progress 3}, Canceled 2 {No Money 4}, Fulfilled 3 {Complete 100001, Partial 100002},
# Invoiced 4 {Invoiced 100003}.
ACTIVE, SUBMITTED, CANCELED, FULFILLED, INVOICED = 0, 1, 2, 3, 4
STATUS_NEW, STATUS_PENDING, STATUS_IN_PROGRESS, STATUS_NO_MONEY = 1, 2, 3, 4
STATUS_COMPLETE, STATUS_PARTIAL, STATUS_INVOICED = 100001, 100002, 100003
CLOSED = frozenset({CANCELED, FULFILLED, INVOICED})


def fulfillment_of(payload: dict[str, Any]) -> str:
    """``fulfilled`` | ``partial`` | ``""`` from an order body's ``fulfillment_status``."""
    status = str(payload.get("fulfillment_status") or "").lower()
    return status if status in ("fulfilled", "partial") else ""


def tracking_numbers(payload: dict[str, Any]) -> list[str]:
    """Every tracking number of the order's successful fulfillments, in order, without repeats."""
    seen: list[str] = []
    for fulfillment in payload.get("fulfillments") or []:
        if not isinstance(fulfillment, dict) or fulfillment.get("status") in ("cancelled", "error", "failure"):
            continue
        numbers = fulfillment.get("tracking_numbers") or [fulfillment.get("tracking_number")]
        for number in numbers:
            if number and str(number) not in seen:
                seen.append(str(number))
    return seen
