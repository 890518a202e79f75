"""The Shopify order as the integration sees it: parsed once at the edge from the REST body (the
``orders/*`` webhook body and the Admin API's REST shape are the same resource), then plain typed
objects inside.

Money is ``Decimal`` from parse to wire. Every amount carries both the shop-currency value (what the
ERP books, from ``*_set.shop_money``) and the presentment value (what the buyer saw, kept for the
audit). Older payloads without ``*_set`` objects fall back to the legacy string field, which is in
shop currency. Parsing is lenient on purpose: a missing address or SKU is a validation failure with
a reason code (see ``validation.py``), not a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

ZERO = Decimal("0.00")


class OrderPayloadError(ValueError):
    """A body that is not a Shopify order at all (no id): a bug upstream, never retried."""


@dataclass(frozen=True)
class Money:
    shop: Decimal
    presentment: Decimal
    shop_currency: str = ""
    presentment_currency: str = ""

    @staticmethod
    def zero(currency: str = "") -> Money:
        return Money(ZERO, ZERO, currency, currency)

    def __add__(self, other: Money) -> Money:
        return Money(
            self.shop + other.shop,
            self.presentment + other.presentment,
            self.shop_currency or other.shop_currency,
            self.presentment_currency or other.presentment_currency,
        )


@dataclass(frozen=True)
class Address:
    first_name: str = ""
    last_name: str = ""
    name: str = ""
    company: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    province: str = ""
    province_code: str = ""
    zip: str = ""
    country: str = ""
    country_code: str = ""
    phone: str = ""

    @property
    def full_name(self) -> str:
        return self.name or " ".join(p for p in (self.first_name, self.last_name) if p)


@dataclass(frozen=True)
class Customer:
    id: int
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    default_address: Address | None = None
    updated_at: datetime | None = None  # the customer's own last change (orders carry a snapshot of it)


@dataclass(frozen=True)
class TaxLine:
    title: str
    rate: Decimal
    price: Money
    channel_liable: bool = False


@dataclass(frozen=True)
class Line:
    id: int
    sku: str
    variant_id: int | None
    product_id: int | None
    title: str
    quantity: int
    price: Money  # per unit
    discount: Money  # total over the line: line-level and allocated order-level discounts
    tax_lines: tuple[TaxLine, ...] = ()
    taxable: bool = True
    requires_shipping: bool = True
    gift_card: bool = False
    current_quantity: int | None = None

    @property
    def gross(self) -> Decimal:
        return self.price.shop * self.quantity


@dataclass(frozen=True)
class ShippingLine:
    id: int | None
    title: str
    code: str
    source: str
    price: Money
    discount: Money
    tax_lines: tuple[TaxLine, ...] = ()
    is_removed: bool = False


@dataclass(frozen=True)
class DiscountApplication:
    type: str
    value_type: str
    value: str
    allocation_method: str
    target_type: str
    title: str


@dataclass(frozen=True)
class Order:
    id: int
    name: str
    order_number: int | None
    gid: str
    created_at: datetime | None
    updated_at: datetime | None
    processed_at: datetime | None
    cancelled_at: datetime | None
    currency: str  # shop currency
    presentment_currency: str
    financial_status: str
    fulfillment_status: str
    taxes_included: bool
    tax_exempt: bool
    email: str
    phone: str
    customer: Customer | None
    billing_address: Address | None
    shipping_address: Address | None
    lines: tuple[Line, ...]
    shipping_lines: tuple[ShippingLine, ...]
    tax_lines: tuple[TaxLine, ...]
    discount_applications: tuple[DiscountApplication, ...]
    total_line_items: Money
    total_discounts: Money
    total_shipping: Money
    total_tax: Money
    total_price: Money
    tags: tuple[str, ...] = ()
    location_id: int | None = None
    source_name: str = ""
    note: str = ""
    # Discount the payload reports in total_discounts but allocates to no line or shipping line
    # (older payloads); mapping spreads it over the lines.
    unallocated_discount: Decimal = ZERO
    raw_keys: frozenset[str] = field(default_factory=frozenset)
    # After order edits and refunds (``current_total_price_set`` ...); None when the body has none.
    current_total_price: Money | None = None
    current_total_tax: Money | None = None
    # Shopify line item id -> quantity refunded (``refunds[].refund_line_items``): refunds lower
    # ``current_quantity`` too, but the refund flow owns those reductions, not order sync.
    refunded_quantities: dict[int, int] = field(default_factory=dict)

    @property
    def is_guest(self) -> bool:
        return self.customer is None


# ---- edge models (pydantic): the REST body, ignoring what the ERP does not need ------------------
def _dec(value: Any) -> Decimal:
    if value is None or value == "":
        return ZERO
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {value!r}") from None


class _Bag(BaseModel):
    model_config = ConfigDict(extra="ignore")
    amount: Annotated[Decimal, BeforeValidator(_dec)] = ZERO
    currency_code: str = ""


class _Set(BaseModel):
    model_config = ConfigDict(extra="ignore")
    shop_money: _Bag | None = None
    presentment_money: _Bag | None = None


def money(
    body: dict[str, Any], name: str, shop_currency: str, presentment_currency: str, legacy: str | None = None
) -> Money:
    """``name`` + ``_set`` when present (shop + presentment), else the legacy field (shop money)."""
    raw_set = body.get(f"{name}_set")
    if isinstance(raw_set, dict):
        s = _Set.model_validate(raw_set)
        if s.shop_money is not None:
            p = s.presentment_money or s.shop_money
            return Money(
                s.shop_money.amount,
                p.amount,
                s.shop_money.currency_code or shop_currency,
                p.currency_code or presentment_currency,
            )
    value = _dec(body.get(legacy if legacy is not None else name))
    return Money(value, value, shop_currency, shop_currency)


class _AddressIn(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    province: str | None = None
    province_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None

    def plain(self) -> Address:
        return Address(**{k: (v or "").strip() for k, v in self.model_dump().items()})


def _address(value: Any) -> Address | None:
    if not isinstance(value, dict):
        return None
    address = _AddressIn.model_validate(value).plain()
    return address if any(address.__dict__.values()) else None


def parse_address(value: Any) -> Address | None:
    """A REST address object (order or customer) as an :class:`Address`; None when empty or absent."""
    return _address(value)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _tax_lines(items: Any, shop: str, pres: str) -> tuple[TaxLine, ...]:
    return tuple(
        TaxLine(
            title=str(t.get("title") or "").strip(),
            rate=_dec(t.get("rate")),
            price=money(t, "price", shop, pres),
            channel_liable=bool(t.get("channel_liable")),
        )
        for t in items or []
        if isinstance(t, dict)
    )


def _allocated(allocations: Any, shop: str, pres: str) -> Money | None:
    if not isinstance(allocations, list) or not allocations:
        return None
    total = Money.zero(shop)
    for a in allocations:
        total = total + money(a, "amount", shop, pres)
    return total


def _line(body: dict[str, Any], shop: str, pres: str) -> Line:
    discount = _allocated(body.get("discount_allocations"), shop, pres)
    if discount is None:  # older shape: total_discount only
        discount = money(body, "total_discount", shop, pres)
    return Line(
        id=_int(body.get("id")) or 0,
        sku=str(body.get("sku") or "").strip(),
        variant_id=_int(body.get("variant_id")),
        product_id=_int(body.get("product_id")),
        title=str(body.get("name") or body.get("title") or ""),
        quantity=_int(body.get("quantity")) or 0,
        price=money(body, "price", shop, pres),
        discount=discount,
        tax_lines=_tax_lines(body.get("tax_lines"), shop, pres),
        taxable=bool(body.get("taxable", True)),
        requires_shipping=bool(body.get("requires_shipping", True)),
        gift_card=bool(body.get("gift_card", False)),
        current_quantity=_int(body.get("current_quantity")),
    )


def _shipping(body: dict[str, Any], shop: str, pres: str) -> ShippingLine:
    discount = _allocated(body.get("discount_allocations"), shop, pres) or Money.zero(shop)
    return ShippingLine(
        id=_int(body.get("id")),
        title=str(body.get("title") or "").strip(),
        code=str(body.get("code") or "").strip(),
        source=str(body.get("source") or ""),
        price=money(body, "price", shop, pres),
        discount=discount,
        tax_lines=_tax_lines(body.get("tax_lines"), shop, pres),
        is_removed=bool(body.get("is_removed", False)),
    )


def _refunded(refunds: Any) -> dict[int, int]:
    out: dict[int, int] = {}
    for refund in refunds if isinstance(refunds, list) else []:
        items = refund.get("refund_line_items") if isinstance(refund, dict) else None
        for item in items if isinstance(items, list) else []:
            line_id = _int(item.get("line_item_id")) if isinstance(item, dict) else None
            if line_id:
                out[line_id] = out.get(line_id, 0) + (_int(item.get("quantity")) or 0)
    return out


def parse_order(body: dict[str, Any]) -> Order:
    """The typed order from a REST order body (a webhook body, or ``{"order": {...}}``)."""
    if "order" in body and isinstance(body["order"], dict) and "id" not in body:
        body = body["order"]
    order_id = _int(body.get("id"))
    if not order_id:
        raise OrderPayloadError("order body has no id")
    shop = str(body.get("currency") or "").upper()
    pres = str(body.get("presentment_currency") or shop).upper()
    try:
        lines = tuple(_line(li, shop, pres) for li in body.get("line_items") or [] if isinstance(li, dict))
        shipping = tuple(_shipping(s, shop, pres) for s in body.get("shipping_lines") or [] if isinstance(s, dict))
        customer_body = body.get("customer") if isinstance(body.get("customer"), dict) else None
        customer = None
        if customer_body and _int(customer_body.get("id")):
            customer = Customer(
                id=_int(customer_body.get("id")) or 0,
                email=str(customer_body.get("email") or "").strip(),
                phone=str(customer_body.get("phone") or "").strip(),
                first_name=str(customer_body.get("first_name") or "").strip(),
                last_name=str(customer_body.get("last_name") or "").strip(),
                default_address=_address(customer_body.get("default_address")),
                updated_at=_date(customer_body.get("updated_at")),
            )
        total_shipping = money(body, "total_shipping_price", shop, pres)
        if "total_shipping_price_set" not in body:
            total_shipping = sum((s.price for s in shipping), Money.zero(shop))
        total_discounts = money(body, "total_discounts", shop, pres)
        allocated = sum((li.discount.shop for li in lines), ZERO) + sum((s.discount.shop for s in shipping), ZERO)
        tags = tuple(t.strip() for t in str(body.get("tags") or "").split(",") if t.strip())
        applications = tuple(
            DiscountApplication(
                type=str(d.get("type") or ""),
                value_type=str(d.get("value_type") or ""),
                value=str(d.get("value") or ""),
                allocation_method=str(d.get("allocation_method") or ""),
                target_type=str(d.get("target_type") or ""),
                title=str(d.get("title") or d.get("code") or ""),
            )
            for d in body.get("discount_applications") or []
            if isinstance(d, dict)
        )
        return Order(
            id=order_id,
            name=str(body.get("name") or ""),
            order_number=_int(body.get("order_number")),
            gid=str(body.get("admin_graphql_api_id") or f"gid://shopify/Order/{order_id}"),
            created_at=_date(body.get("created_at")),
            updated_at=_date(body.get("updated_at")),
            processed_at=_date(body.get("processed_at")),
            cancelled_at=_date(body.get("cancelled_at")),
            currency=shop,
            presentment_currency=pres,
            financial_status=str(body.get("financial_status") or ""),
            fulfillment_status=str(body.get("fulfillment_status") or ""),
            taxes_included=bool(body.get("taxes_included")),
            tax_exempt=bool(body.get("tax_exempt")),
            email=str(body.get("email") or body.get("contact_email") or "").strip(),
            phone=str(body.get("phone") or "").strip(),
            customer=customer,
            billing_address=_address(body.get("billing_address")),
            shipping_address=_address(body.get("shipping_address")),
            lines=lines,
            shipping_lines=shipping,
            tax_lines=_tax_lines(body.get("tax_lines"), shop, pres),
            discount_applications=applications,
            total_line_items=money(body, "total_line_items_price", shop, pres),
            total_discounts=total_discounts,
            total_shipping=total_shipping,
            total_tax=money(body, "total_tax", shop, pres),
            total_price=money(body, "total_price", shop, pres),
            tags=tags,
            location_id=_int(body.get("location_id")),
            source_name=str(body.get("source_name") or ""),
            note=str(body.get("note") or ""),
            unallocated_discount=max(total_discounts.shop - allocated, ZERO),
            raw_keys=frozenset(body),
            current_total_price=money(body, "current_total_price", shop, pres)
            if "current_total_price" in body or "current_total_price_set" in body
            else None,
            current_total_tax=money(body, "current_total_tax", shop, pres)
            if "current_total_tax" in body or "current_total_tax_set" in body
            else None,
            refunded_quantities=_refunded(body.get("refunds")),
        )
    except (ValidationError, ValueError) as error:
        raise OrderPayloadError(f"order {order_id}: malformed body: {error}") from None


def fingerprint(order: Order) -> str:
    """A hash of what the ERP order is made of (lines, amounts, ship-to, shipping, currency), so an
    ``orders/updated`` that changed only tags, notes or metafields (our own write-back included)
    is recognised and ignored without calling F&O."""
    import hashlib
    import json

    content = {
        "currency": order.currency,
        "total": str(order.total_price.shop),
        "tax": str(order.total_tax.shop),
        "lines": [
            [li.id, li.sku, li.quantity, li.current_quantity, str(li.price.shop), str(li.discount.shop)]
            for li in order.lines
        ],
        "shipping": [
            [s.code, s.title, str(s.price.shop), str(s.discount.shop), s.is_removed] for s in order.shipping_lines
        ],
        "ship_to": order.shipping_address.__dict__ if order.shipping_address else None,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:32]
