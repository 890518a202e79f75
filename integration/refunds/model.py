"""A Shopify refund (the REST ``refunds/create`` body) as typed values with Decimal money.

Parsing accepts every shape seen in the public samples: the 2025-10 documented resource (money as JSON
numbers, ``refund_shipping_lines``, ``refund_discrepancy`` adjustments, empty ``line_item``), the 2024-08
webhook (money as strings, ``restock_type``), and the older fixture (wrapped in ``{"refund": ...}``, no
``*_set`` amounts, no ``restock_type`` but ``restock: true``).

Money: the ERP gets ``shop_money`` (``*_set.shop_money.amount``); ``presentment_money`` is kept beside it
for the audit only. Older payloads without ``*_set`` fall back to the plain field (shop currency) and, for
lines, to the ordered line's price/discount/tax pro rata — the same arithmetic Shopify uses.

Sign of ``order_adjustments``: an adjustment is "the difference between a calculated and actual refund
amount" (Shopify OrderAdjustment). Shopify's legacy ``shipping_refund`` adjustments carry ``-5.00`` for
5.00 of shipping refunded, so an adjustment's *credit* to the customer is ``-(amount + tax_amount)``:
a positive ``refund_discrepancy`` means less was refunded than calculated, a negative one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

ZERO = Decimal(0)
CENT = Decimal("0.01")

RESTOCK_RETURN = "return"
RESTOCK_LEGACY = "legacy_restock"
RESTOCK_CANCEL = "cancel"
RESTOCK_NONE = "no_restock"
RESTOCK_TYPES = (RESTOCK_RETURN, RESTOCK_LEGACY, RESTOCK_CANCEL, RESTOCK_NONE)


class RefundPayloadError(ValueError):
    """The body is not a usable refund (no id, no order id, a malformed amount or quantity)."""


@dataclass(frozen=True)
class Money:
    """One amount in shop currency with its presentment twin (audit only)."""

    shop: Decimal
    presentment: Decimal | None = None
    currency: str = ""
    presentment_currency: str = ""

    def __add__(self, other: Money) -> Money:
        pres = None if self.presentment is None or other.presentment is None else self.presentment + other.presentment
        return Money(
            self.shop + other.shop,
            pres,
            self.currency or other.currency,
            self.presentment_currency or other.presentment_currency,
        )

    def __neg__(self) -> Money:
        return Money(
            -self.shop,
            None if self.presentment is None else -self.presentment,
            self.currency,
            self.presentment_currency,
        )


@dataclass(frozen=True)
class RefundLine:
    id: str
    line_item_id: str
    quantity: int
    restock_type: str
    subtotal: Money  # after discounts, excluding tax
    tax: Money
    sku: str = ""
    title: str = ""
    ordered_quantity: int | None = None
    location_id: str = ""


@dataclass(frozen=True)
class ShippingRefund:
    id: str
    shipping_line_id: str
    amount: Money  # excluding tax
    tax: Money
    source: str  # "refund_shipping_lines" | "order_adjustments"
    title: str = ""


@dataclass(frozen=True)
class Adjustment:
    """A ``refund_discrepancy`` (or any non-shipping) order adjustment, as a credit to the customer."""

    id: str
    kind: str
    credit: Money  # excluding tax
    tax_credit: Money
    reason: str = ""


@dataclass(frozen=True)
class Transaction:
    id: str
    kind: str
    status: str
    amount: Decimal
    currency: str
    gateway: str = ""


@dataclass(frozen=True)
class Refund:
    id: str
    order_id: str
    created_at: str
    note: str
    lines: tuple[RefundLine, ...]
    shipping: tuple[ShippingRefund, ...]
    adjustments: tuple[Adjustment, ...]
    transactions: tuple[Transaction, ...]
    duties: Money
    currency: str = ""
    presentment_currency: str = ""

    @property
    def gid(self) -> str:
        return f"gid://shopify/Refund/{self.id}"

    # Totals are what the credit note must equal, to the cent (shop currency).
    @property
    def lines_subtotal(self) -> Decimal:
        return sum((line.subtotal.shop for line in self.lines), ZERO)

    @property
    def lines_tax(self) -> Decimal:
        return sum((line.tax.shop for line in self.lines), ZERO)

    @property
    def shipping_amount(self) -> Decimal:
        return sum((s.amount.shop for s in self.shipping), ZERO)

    @property
    def shipping_tax(self) -> Decimal:
        return sum((s.tax.shop for s in self.shipping), ZERO)

    @property
    def adjustments_amount(self) -> Decimal:
        return sum((a.credit.shop for a in self.adjustments), ZERO)

    @property
    def adjustments_tax(self) -> Decimal:
        return sum((a.tax_credit.shop for a in self.adjustments), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return self.lines_tax + self.shipping_tax + self.adjustments_tax

    @property
    def total(self) -> Decimal:
        return self.lines_subtotal + self.shipping_amount + self.adjustments_amount + self.tax_total + self.duties.shop

    @property
    def pending_transactions(self) -> list[Transaction]:
        return [t for t in self.transactions if t.kind == "refund" and t.status == "pending"]

    @property
    def failed_only(self) -> bool:
        """Every refund transaction failed (no money moved and none is still pending)."""
        refunds = [t for t in self.transactions if t.kind == "refund"]
        return bool(refunds) and all(t.status in ("failure", "error") for t in refunds)


def decimal_of(value: Any, what: str = "amount") -> Decimal:
    """A JSON amount (string, int or float as json parsed it) -> Decimal, exactly as written."""
    if value is None or value == "":
        return ZERO
    if isinstance(value, bool):
        raise RefundPayloadError(f"{what} is not an amount: {value!r}")
    try:
        # str() of a float is its shortest round-trip repr ("10.99"), never the binary expansion.
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise RefundPayloadError(f"{what} is not an amount: {value!r}") from None


def _side(money_set: Any, side: str) -> tuple[Decimal | None, str]:
    if not isinstance(money_set, dict):
        return None, ""
    part = money_set.get(side)
    if not isinstance(part, dict) or part.get("amount") is None:
        return None, ""
    return decimal_of(part.get("amount"), side), str(part.get("currency_code") or part.get("currency") or "")


def money_of(holder: dict[str, Any], set_name: str, plain: str | None = None, what: str = "") -> Money | None:
    """``holder[set_name]`` as Money, else the plain field as shop money, else None."""
    shop, currency = _side(holder.get(set_name), "shop_money")
    presentment, pres_currency = _side(holder.get(set_name), "presentment_money")
    if shop is None:
        if plain is None or holder.get(plain) is None:
            return None
        shop = decimal_of(holder.get(plain), what or plain)
    return Money(shop, presentment, currency, pres_currency)


def _quantity(value: Any, what: str) -> int:
    try:
        quantity = int(str(value))
    except (TypeError, ValueError):
        raise RefundPayloadError(f"{what} is not a whole quantity: {value!r}") from None
    if quantity < 0:
        raise RefundPayloadError(f"{what} is negative: {quantity}")
    return quantity


def _fallback_line_amounts(item: dict[str, Any], quantity: int) -> tuple[Money, Money]:
    """Older payloads: subtotal = (price - discount per unit) x qty, tax pro rata of the line's tax."""
    ordered = max(1, int(item.get("quantity") or 1))
    price = money_of(item, "price_set", "price") or Money(ZERO)
    discount = money_of(item, "total_discount_set", "total_discount") or Money(ZERO)
    tax = sum((decimal_of(t.get("price"), "tax_lines.price") for t in item.get("tax_lines") or []), ZERO)
    subtotal = (price.shop * quantity - discount.shop * quantity / ordered).quantize(CENT)
    return Money(subtotal), Money((tax * quantity / ordered).quantize(CENT))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _line(raw: dict[str, Any], legacy_restock: bool) -> RefundLine:
    item = _dict(raw.get("line_item"))
    quantity = _quantity(raw.get("quantity"), "refund_line_items.quantity")
    subtotal = money_of(raw, "subtotal_set", "subtotal")
    tax = money_of(raw, "total_tax_set", "total_tax")
    if subtotal is None or tax is None:
        fallback_subtotal, fallback_tax = _fallback_line_amounts(item, quantity)
        subtotal = subtotal or fallback_subtotal
        tax = tax or fallback_tax
    restock_type = str(raw.get("restock_type") or (RESTOCK_LEGACY if legacy_restock else RESTOCK_NONE))
    if restock_type not in RESTOCK_TYPES:
        raise RefundPayloadError(f"unknown restock_type {restock_type!r}")
    line_item_id = raw.get("line_item_id") or item.get("id")
    if not line_item_id:
        raise RefundPayloadError("a refund line item has no line_item_id")
    ordered = item.get("quantity")
    return RefundLine(
        id=str(raw.get("id") or ""),
        line_item_id=str(line_item_id),
        quantity=quantity,
        restock_type=restock_type,
        subtotal=subtotal,
        tax=tax,
        sku=str(item.get("sku") or ""),
        title=str(item.get("name") or item.get("title") or ""),
        ordered_quantity=int(ordered) if ordered is not None else None,
        location_id=str(raw.get("location_id") or ""),
    )


def _shipping_line(raw: dict[str, Any]) -> ShippingRefund:
    amount = money_of(raw, "subtotal_amount_set", "amount") or Money(ZERO)
    tax = money_of(raw, "tax_amount_set", "tax_amount") or Money(ZERO)
    shipping_line = _dict(raw.get("shipping_line"))
    return ShippingRefund(
        id=str(raw.get("id") or ""),
        shipping_line_id=str(raw.get("shipping_line_id") or shipping_line.get("id") or ""),
        amount=amount,
        tax=tax,
        source="refund_shipping_lines",
        title=str(shipping_line.get("title") or ""),
    )


def _adjustment_money(raw: dict[str, Any]) -> tuple[Money, Money]:
    amount = money_of(raw, "amount_set", "amount", "order_adjustments.amount") or Money(ZERO)
    tax = money_of(raw, "tax_amount_set", "tax_amount", "order_adjustments.tax_amount") or Money(ZERO)
    return -amount, -tax  # credit to the customer (see the module docstring)


def _duties(body: dict[str, Any]) -> Money:
    total = money_of(body, "total_duties_set")
    if total is not None:
        return total
    duties = body.get("duties")
    if isinstance(duties, dict):  # the 2025-10 documented example nests them
        duties = duties.get("duties")
    refunded = {str(d.get("duty_id")) for d in body.get("refund_duties") or [] if isinstance(d, dict)}
    result = Money(ZERO)
    for duty in duties or []:
        if isinstance(duty, dict) and (not refunded or str(duty.get("duty_id")) in refunded):
            result = result + (money_of(duty, "amount_set", "amount") or Money(ZERO))
    return result


def parse_refund(body: dict[str, Any]) -> Refund:
    """The webhook body (or ``{"refund": body}``) -> Refund. Raises RefundPayloadError."""
    if isinstance(body.get("refund"), dict) and "id" not in body:
        body = body["refund"]
    refund_id, order_id = body.get("id"), body.get("order_id")
    if not refund_id:
        raise RefundPayloadError("the refund has no id")
    legacy_restock = bool(body.get("restock"))
    lines = [_line(raw, legacy_restock) for raw in body.get("refund_line_items") or []]
    shipping = [_shipping_line(raw) for raw in body.get("refund_shipping_lines") or []]
    adjustments: list[Adjustment] = []
    legacy_shipping: list[ShippingRefund] = []
    for raw in body.get("order_adjustments") or []:
        credit, tax_credit = _adjustment_money(raw)
        kind = str(raw.get("kind") or "refund_discrepancy")
        if not order_id:
            order_id = raw.get("order_id")
        if kind == "shipping_refund":
            legacy_shipping.append(
                ShippingRefund(
                    id=str(raw.get("id") or ""),
                    shipping_line_id="",
                    amount=credit,
                    tax=tax_credit,
                    source="order_adjustments",
                )
            )
        else:
            adjustments.append(
                Adjustment(
                    id=str(raw.get("id") or ""),
                    kind=kind,
                    credit=credit,
                    tax_credit=tax_credit,
                    reason=str(raw.get("reason") or ""),
                )
            )
    if not shipping:
        # Before 2024-10 refunded shipping was an order adjustment; never count both (2024-10+ has no such kind).
        shipping = legacy_shipping
    if not order_id:
        raise RefundPayloadError(f"refund {refund_id} has no order_id")
    transactions = [
        Transaction(
            id=str(t.get("id") or ""),
            kind=str(t.get("kind") or ""),
            status=str(t.get("status") or ""),
            amount=decimal_of(t.get("amount")),
            currency=str(t.get("currency") or ""),
            gateway=str(t.get("gateway") or ""),
        )
        for t in body.get("transactions") or []
        if isinstance(t, dict)
    ]
    currencies = [m.currency for line in lines for m in (line.subtotal, line.tax) if m.currency]
    currencies += [s.amount.currency for s in shipping if s.amount.currency]
    pres = [line.subtotal.presentment_currency for line in lines if line.subtotal.presentment_currency]
    return Refund(
        id=str(refund_id),
        order_id=str(order_id),
        created_at=str(body.get("created_at") or ""),
        note=str(body.get("note") or ""),
        lines=tuple(lines),
        shipping=tuple(shipping),
        adjustments=tuple(adjustments),
        transactions=tuple(transactions),
        duties=_duties(body),
        currency=currencies[0] if currencies else "",
        presentment_currency=pres[0] if pres else "",
    )
