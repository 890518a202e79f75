"""Shopify order -> ``SalesOrderHeadersV2`` + ``SalesOrderLines`` request bodies (pure).

Charge design: freight is a line on the non-stock service item ``D365_FREIGHT_ITEM`` (standard OData
exposes no sales-order charge collection), one line per Shopify shipping line, its shipping
discount as the line discount. F&O computes tax from the sales tax group on header and lines.

Discounts: F&O's ``LineDiscountAmount`` is a discount **per unit** (``LineAmount = (SalesPrice -
LineDiscountAmount) x quantity + price charges``). Shopify allocates discounts per line (line-level and
order-level ``discount_allocations``) and charges tax per line item. Every Shopify line item is ONE F&O
line, because F&O also computes and rounds tax per line: two F&O lines for one Shopify line (the old
split for an uneven discount) round tax twice and miss Shopify's tax by a cent. When the discount is
not a whole number of cents per unit, the per-unit discount is rounded down to the cent and the cents
left over go on the line as a negative price charge (``FixedPriceCharges``, SalesLine "Charges"),
which is how Microsoft's own dual-write stores a whole-line discount (qty 3, 10.00 off -> 3.33 per unit
and -0.01 charges); the exact ``LineAmount`` is sent as well, so the amount is the same whether F&O keeps
the sent amount or recalculates it ("Calculate line net amount"). F&O's totals are still checked
against Shopify's afterwards, so a deployment that computes otherwise shows up as TOTAL_MISMATCH.
Discount the payload reports but allocates to no line (older payloads) is spread over the lines by
amount, largest remainder first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from integration.orders.contact import country_iso3
from integration.orders.model import ZERO, Address, Order
from integration.orders.validation import TOTAL_MISMATCH, Decisions, Failure

CENT = Decimal("0.01")
SHIPPING_REF = "shipping:"


@dataclass(frozen=True)
class OrderSettings:
    legal_entity: str
    number_prefix: str = "SH"
    freight_item: str = "FREIGHT"


@dataclass(frozen=True)
class SalesOrderPlan:
    number: str
    header: dict[str, Any]
    lines: list[dict[str, Any]]
    expected_total: Decimal  # what F&O's OrderTotalAmount must read
    components: dict[str, str] = field(default_factory=dict)

    def with_customer(self, account: str) -> SalesOrderPlan:
        header = {**self.header, "OrderingCustomerAccountNumber": account, "InvoiceCustomerAccountNumber": account}
        return replace(self, header=header)


def sales_order_number(order: Order, prefix: str) -> str:
    return f"{prefix}{order.order_number}"


def fo_date(value: datetime | None) -> str:
    """F&O date-only convention (midday UTC), from the order's own calendar date."""
    day = (value or datetime.now()).date()
    return f"{day.isoformat()}T12:00:00Z"


def line_discount(quantity: int, discount: Decimal) -> tuple[Decimal, Decimal]:
    """(per-unit ``LineDiscountAmount``, ``FixedPriceCharges``) that take exactly ``discount`` off
    ``quantity`` units on one line: the per-unit discount rounded down to the cent, the rest (0 to
    quantity - 1 cents) as a negative line charge."""
    cents = int((discount / CENT).to_integral_value())
    base, extra = divmod(cents, quantity)
    return Decimal(base) * CENT, -Decimal(extra) * CENT


def spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split over ``weights`` in cents, largest remainder first (deterministic)."""
    total = sum(weights, ZERO)
    if amount == 0 or total <= 0:
        return [ZERO for _ in weights]
    cents = int((amount / CENT).to_integral_value())
    raw = [Decimal(cents) * w / total for w in weights]
    floors = [int(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in order[: cents - sum(floors)]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]


def delivery_address(address: Address | None) -> dict[str, Any]:
    if address is None:
        return {}
    street = "\n".join(p for p in (address.address1, address.address2) if p)
    fields = {
        "IsDeliveryAddressOrderSpecific": "Yes",
        "DeliveryAddressName": address.full_name or address.company,
        "DeliveryAddressDescription": "Shopify ship-to",
        "DeliveryAddressStreet": street,
        "DeliveryAddressCity": address.city,
        "DeliveryAddressStateId": address.province_code,
        "DeliveryAddressZipCode": address.zip,
        "DeliveryAddressCountryRegionId": country_iso3(address.country_code),
    }
    return {k: v for k, v in fields.items() if v}


def build_sales_order(
    order: Order,
    decisions: Decisions,
    settings: OrderSettings,
    header_defaults: dict[str, Any] | None = None,
    customer_account: str = "",
) -> SalesOrderPlan:
    number = sales_order_number(order, settings.number_prefix)
    company = settings.legal_entity
    ship_date = fo_date(order.processed_at or order.created_at)
    site = decisions.warehouse.site if decisions.warehouse else ""
    warehouse = decisions.warehouse.warehouse if decisions.warehouse else ""
    header: dict[str, Any] = {k: v for k, v in (header_defaults or {}).items() if v not in (None, "")}
    header.update(
        {
            "dataAreaId": company,
            "SalesOrderNumber": number,
            "OrderingCustomerAccountNumber": customer_account,
            "InvoiceCustomerAccountNumber": customer_account,
            "CurrencyCode": order.currency,
            "CustomersOrderReference": order.name,
            "CustomerRequisitionNumber": str(order.id),
            "RequestedShippingDate": ship_date,
            "SalesTaxGroupCode": decisions.tax_group,
            "ArePricesIncludingSalesTax": "Yes" if order.taxes_included else "No",
            # Freight travels as a line; F&O's automatic charges would add it a second time.
            "SkipCreateAutoCharges": "Yes",
            **({"DeliveryModeCode": decisions.delivery_mode} if decisions.delivery_mode else {}),
            **({"DefaultShippingSiteId": site} if site else {}),
            **({"DefaultShippingWarehouseId": warehouse} if warehouse else {}),
            **({"Email": order.email} if order.email else {}),
            **delivery_address(order.shipping_address),
        }
    )
    common = {
        "dataAreaId": company,
        "SalesOrderNumber": number,
        "RequestedShippingDate": ship_date,
        "SalesTaxGroupCode": decisions.tax_group,
        **({"ShippingSiteId": site} if site else {}),
        **({"ShippingWarehouseId": warehouse} if warehouse else {}),
    }

    extra = spread(order.unallocated_discount, [max(li.gross - li.discount.shop, ZERO) for li in order.lines])
    lines: list[dict[str, Any]] = []
    gross_total = discount_total = ZERO
    dimensions = decisions.dimensions or [{} for _ in order.lines]
    for index, (li, item, dims) in enumerate(
        zip(order.lines, decisions.item_numbers, dimensions, strict=True), start=1
    ):
        discount = li.discount.shop + extra[index - 1]
        gross_total += li.gross
        discount_total += discount
        if li.quantity <= 0:
            continue
        per_unit, charges = line_discount(li.quantity, discount)
        lines.append(
            {
                **common,
                "ItemNumber": item,
                **dims,  # a product master's variant: F&O needs its product dimensions on the line
                "OrderedSalesQuantity": li.quantity,
                "SalesPrice": li.price.shop,
                "LineDiscountAmount": per_unit,
                **({"FixedPriceCharges": charges} if charges else {}),
                "LineAmount": li.price.shop * li.quantity - discount,
                "OrderLineReference": str(li.id),
                "CustomersLineNumber": index,
                "LineDescription": li.title[:60],
            }
        )
    shipping_total = shipping_discount = ZERO
    for s in order.shipping_lines:
        if s.is_removed or (s.price.shop == 0 and s.discount.shop == 0):
            continue
        shipping_total += s.price.shop
        shipping_discount += s.discount.shop
        lines.append(
            {
                **common,
                "ItemNumber": settings.freight_item,
                "OrderedSalesQuantity": 1,
                "SalesPrice": s.price.shop,
                "LineDiscountAmount": s.discount.shop,
                "LineAmount": s.price.shop - s.discount.shop,
                "OrderLineReference": f"{SHIPPING_REF}{s.id or ''}",
                "LineDescription": (s.title or s.code or "Shipping")[:60],
            }
        )
    tax = order.total_tax.shop
    expected = (
        gross_total - discount_total + shipping_total - shipping_discount + (ZERO if order.taxes_included else tax)
    )
    components = {
        "lines": str(gross_total),
        "discounts": str(discount_total + shipping_discount),
        "shipping": str(shipping_total),
        "tax": str(tax),
        "taxes_included": str(order.taxes_included),
        "computed_total": str(expected),
        "shopify_total": str(order.total_price.shop),
        "currency": order.currency,
    }
    return SalesOrderPlan(number=number, header=header, lines=lines, expected_total=expected, components=components)


def total_failure(order: Order, plan: SalesOrderPlan) -> Failure | None:
    """Lines - discounts + shipping + tax must equal Shopify's total (shop currency) to the cent."""
    if plan.expected_total == order.total_price.shop:
        return None
    return Failure(
        TOTAL_MISMATCH,
        f"lines - discounts + shipping + tax = {plan.expected_total} but Shopify's total is "
        f"{order.total_price.shop} {order.currency} (difference "
        f"{plan.expected_total - order.total_price.shop})",
        {
            **plan.components,
            "difference": str(plan.expected_total - order.total_price.shop),
            "presentment_total": str(order.total_price.presentment),
            "presentment_currency": order.presentment_currency,
        },
    )


def fo_total_failure(order: Order, plan: SalesOrderPlan, fo_header: dict[str, Any]) -> Failure | None:
    """F&O's own totals, read back after the create, against Shopify's."""
    fo_total = Decimal(str(fo_header.get("OrderTotalAmount", "0"))).quantize(CENT)
    if fo_total == order.total_price.shop:
        return None
    fo_tax = Decimal(str(fo_header.get("OrderTotalTaxAmount", "0"))).quantize(CENT)
    return Failure(
        TOTAL_MISMATCH,
        f"F&O sales order {plan.number} totals {fo_total} (tax {fo_tax}) but Shopify's total is "
        f"{order.total_price.shop} (tax {order.total_tax.shop}) {order.currency}",
        {
            "sales_order": plan.number,
            "fo_total": str(fo_total),
            "fo_tax": str(fo_tax),
            "shopify_total": str(order.total_price.shop),
            "shopify_tax": str(order.total_tax.shop),
            "difference": str(fo_total - order.total_price.shop),
            "currency": order.currency,
            "sales_tax_group": plan.header.get("SalesTaxGroupCode", ""),
        },
    )
