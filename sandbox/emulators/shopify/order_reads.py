"""The order-read part of the Admin GraphQL schema (2026-10 shapes): what an app reads instead of the
legacy REST ``orders/{id}.json`` / ``orders.json`` — addresses, customer, tax and discount
allocations, shipping lines, transactions, and refunds with their line items, shipping lines,
adjustments, transactions and duties. Stored orders are REST dicts; these resolvers project them.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLResolveInfo

from sandbox.emulators.shopify.resolvers import money_bag, need_id, store_of
from sandbox.emulators.shopify.search import paginate
from sandbox.emulators.shopify.store import gid, to_utc

Info = GraphQLResolveInfo

SDL = """
enum OrderTransactionKind { AUTHORIZATION CAPTURE CHANGE EMV_AUTHORIZATION REFUND SALE SUGGESTED_REFUND VOID }
enum OrderTransactionStatus { AWAITING_RESPONSE ERROR FAILURE PENDING SUCCESS UNKNOWN }
enum RefundLineItemRestockType { CANCEL LEGACY_RESTOCK NO_RESTOCK RETURN }
enum DiscountApplicationAllocationMethod { ACROSS EACH ONE }
enum DiscountApplicationTargetType { LINE_ITEM SHIPPING_LINE }
enum DiscountApplicationTargetSelection { ALL ENTITLED EXPLICIT }
enum OrderAdjustmentDiscrepancyReason { CUSTOMER DAMAGE FULL_RETURN_BALANCING_ADJUSTMENT PENDING_REFUND_DISCREPANCY
  REFUND_DISCREPANCY RESTOCK }
enum CountryCode { %(countries)s }

type MailingAddress { firstName: String lastName: String name: String company: String address1: String
  address2: String city: String province: String provinceCode: String zip: String country: String
  countryCodeV2: CountryCode phone: String }
type CustomerEmailAddress { emailAddress: String }
type CustomerPhoneNumber { phoneNumber: String! }
type Customer implements Node { id: ID! legacyResourceId: UnsignedInt64! firstName: String lastName: String
  defaultEmailAddress: CustomerEmailAddress defaultPhoneNumber: CustomerPhoneNumber defaultAddress: MailingAddress }
type TaxLine { title: String! rate: Float ratePercentage: Float channelLiable: Boolean priceSet: MoneyBag! }
type PricingPercentageValue { percentage: Float! }
union PricingValue = MoneyV2 | PricingPercentageValue
interface DiscountApplication { allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! }
type DiscountCodeApplication implements DiscountApplication { allocationMethod: DiscountApplicationAllocationMethod!
  index: Int! targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! code: String! }
type ManualDiscountApplication implements DiscountApplication {
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! title: String! }
type ScriptDiscountApplication implements DiscountApplication {
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! title: String! }
type AutomaticDiscountApplication implements DiscountApplication {
  allocationMethod: DiscountApplicationAllocationMethod! index: Int!
  targetSelection: DiscountApplicationTargetSelection! targetType: DiscountApplicationTargetType!
  value: PricingValue! title: String! }
type DiscountApplicationEdge { cursor: String! node: DiscountApplication! }
type DiscountApplicationConnection { edges: [DiscountApplicationEdge!]! nodes: [DiscountApplication!]!
  pageInfo: PageInfo! }
type DiscountAllocation { allocatedAmountSet: MoneyBag! discountApplication: DiscountApplication! }
type ShippingLine { id: ID title: String! code: String source: String isRemoved: Boolean!
  originalPriceSet: MoneyBag! discountAllocations: [DiscountAllocation!]! taxLines: [TaxLine!]! }
type ShippingLineEdge { cursor: String! node: ShippingLine! }
type ShippingLineConnection { edges: [ShippingLineEdge!]! nodes: [ShippingLine!]! pageInfo: PageInfo! }
type OrderTransaction implements Node { id: ID! kind: OrderTransactionKind! status: OrderTransactionStatus!
  gateway: String processedAt: DateTime amountSet: MoneyBag! parentTransaction: OrderTransaction }
type OrderTransactionEdge { cursor: String! node: OrderTransaction! }
type OrderTransactionConnection { edges: [OrderTransactionEdge!]! nodes: [OrderTransaction!]! pageInfo: PageInfo! }
type RefundLineItem { id: ID lineItem: LineItem! location: Location quantity: Int!
  restockType: RefundLineItemRestockType! restocked: Boolean! priceSet: MoneyBag! subtotalSet: MoneyBag!
  totalTaxSet: MoneyBag! }
type RefundLineItemEdge { cursor: String! node: RefundLineItem! }
type RefundLineItemConnection { edges: [RefundLineItemEdge!]! nodes: [RefundLineItem!]! pageInfo: PageInfo! }
type RefundShippingLine implements Node { id: ID! shippingLine: ShippingLine! subtotalAmountSet: MoneyBag!
  taxAmountSet: MoneyBag! }
type RefundShippingLineEdge { cursor: String! node: RefundShippingLine! }
type RefundShippingLineConnection { edges: [RefundShippingLineEdge!]! nodes: [RefundShippingLine!]!
  pageInfo: PageInfo! }
type OrderAdjustment implements Node { id: ID! reason: OrderAdjustmentDiscrepancyReason amountSet: MoneyBag!
  taxAmountSet: MoneyBag! }
type OrderAdjustmentEdge { cursor: String! node: OrderAdjustment! }
type OrderAdjustmentConnection { edges: [OrderAdjustmentEdge!]! nodes: [OrderAdjustment!]! pageInfo: PageInfo! }
type Duty implements Node { id: ID! }
type RefundDuty { amountSet: MoneyBag! originalDuty: Duty }

extend type Refund {
  order: Order! processedAt: DateTime! updatedAt: DateTime!
  refundLineItems(first: Int, after: String, last: Int, before: String): RefundLineItemConnection!
  refundShippingLines(first: Int, after: String, last: Int, before: String): RefundShippingLineConnection!
  orderAdjustments(first: Int, after: String, last: Int, before: String): OrderAdjustmentConnection!
  transactions(first: Int, after: String, last: Int, before: String): OrderTransactionConnection!
  duties: [RefundDuty!]
}
extend type LineItem { taxable: Boolean! isGiftCard: Boolean! variant: ProductVariant product: Product
  discountAllocations: [DiscountAllocation!]! taxLines: [TaxLine!]! }
extend type Order {
  number: Int! phone: String sourceName: String taxesIncluded: Boolean! taxExempt: Boolean!
  retailLocation: Location customer: Customer billingAddress: MailingAddress shippingAddress: MailingAddress
  totalDiscountsSet: MoneyBag currentTotalTaxSet: MoneyBag! taxLines: [TaxLine!]!
  discountApplications(first: Int, after: String, last: Int, before: String): DiscountApplicationConnection!
  shippingLines(first: Int, after: String, last: Int, before: String,
    includeRemovals: Boolean = false): ShippingLineConnection!
  transactions(first: Int, capturable: Boolean, manuallyResolvable: Boolean): [OrderTransaction!]!
}
extend type QueryRoot { refund(id: ID!): Refund }
"""

COUNTRIES = (
    "AE AR AT AU BE BR CA CH CL CN CO CZ DE DK ES FI FR GB HK IE IL IN IT JP KR MX MY NL NO NZ PH PL PT "
    "SA SE SG TH TR TW US VN ZA"
).split()


REASONS = {"CUSTOMER", "DAMAGE", "FULL_RETURN_BALANCING_ADJUSTMENT", "PENDING_REFUND_DISCREPANCY", "RESTOCK"}


def sdl() -> str:
    return SDL % {"countries": " ".join(COUNTRIES)}


def _bag(holder: dict[str, Any], name: str, currency: str) -> dict[str, Any]:
    return money_bag(holder, name, currency) or money_bag({name: "0.00"}, name, currency) or {}


def _cur(info: Info) -> str:
    return str(info.context.config.currency_code)


def _address(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    keys = {"first_name": "firstName", "last_name": "lastName", "province_code": "provinceCode"}
    out: dict[str, Any] = {keys.get(str(k), str(k)): v for k, v in value.items() if k != "country_code"}
    code = value.get("country_code")
    out["countryCodeV2"] = code if code in COUNTRIES else None
    return out


def _tax_line(t: dict[str, Any], currency: str) -> dict[str, Any]:
    rate = t.get("rate")
    return {
        "title": t.get("title") or "",
        "rate": float(rate) if rate is not None else None,
        "ratePercentage": float(rate) * 100 if rate is not None else None,
        "channelLiable": t.get("channel_liable"),
        "priceSet": _bag(t, "price", currency),
    }


def _allocation(a: dict[str, Any], currency: str) -> dict[str, Any]:
    return {"allocatedAmountSet": _bag(a, "amount", currency)}


def _application(d: dict[str, Any], index: int, currency: str) -> dict[str, Any]:
    value: dict[str, Any]
    if d.get("value_type") == "percentage":
        value = {"__typename": "PricingPercentageValue", "percentage": float(d.get("value") or 0)}
    else:
        value = {"__typename": "MoneyV2", "amount": str(d.get("value") or "0.00"), "currencyCode": currency}
    kind = {"discount_code": "DiscountCodeApplication", "manual": "ManualDiscountApplication"}.get(
        str(d.get("type")),
        "AutomaticDiscountApplication" if d.get("type") == "automatic" else "ScriptDiscountApplication",
    )
    return {
        "__typename": kind,
        "index": index,
        "allocationMethod": str(d.get("allocation_method") or "across").upper(),
        "targetSelection": str(d.get("target_selection") or "all").upper(),
        "targetType": str(d.get("target_type") or "line_item").upper(),
        "value": value,
        "code": d.get("code") or d.get("title") or "",
        "title": d.get("title") or d.get("code") or "",
    }


def _shipping_line(s: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "id": gid("ShippingLine", s["id"]) if s.get("id") else None,
        "title": s.get("title") or "",
        "code": s.get("code"),
        "source": s.get("source"),
        "isRemoved": bool(s.get("is_removed")),
        "originalPriceSet": _bag(s, "price", currency),
        "discountAllocations": [_allocation(a, currency) for a in s.get("discount_allocations") or []],
        "taxLines": [_tax_line(t, currency) for t in s.get("tax_lines") or []],
    }


def transaction(t: dict[str, Any], currency: str) -> dict[str, Any]:
    return {
        "id": gid("OrderTransaction", t["id"]),
        "kind": str(t.get("kind") or "sale").upper(),
        "status": str(t.get("status") or "success").upper(),
        "gateway": t.get("gateway"),
        "processedAt": to_utc(t.get("processed_at") or t.get("created_at")),
        "amountSet": _bag(t, "amount", t.get("currency") or currency),
        "parentTransaction": {"id": gid("OrderTransaction", t["parent_id"])} if t.get("parent_id") else None,
    }


def _connection(items: list[dict[str, Any]], args: dict[str, Any]) -> Any:
    """A connection in stored order (the position is the cursor key, stable between requests)."""
    for position, item in enumerate(items):
        item["_position"] = position
    return paginate(items, args, lambda x: (x["_position"],))


def _order_of_refund(refund: dict[str, Any], info: Info) -> dict[str, Any] | None:
    return store_of(info).orders.get(int(refund.get("order_id") or 0))


def _refund_by_id(_r: Any, info: Info, id: str) -> dict[str, Any] | None:
    refund_id = need_id(id, "Refund")
    for order in store_of(info).orders.values():
        for refund in order.get("refunds") or []:
            if int(refund.get("id") or 0) == refund_id:
                return dict(refund)
    return None


def _refund_line(item: dict[str, Any], info: Info) -> dict[str, Any]:
    currency = _cur(info)
    location = item.get("location_id")
    return {
        "id": gid("RefundLineItem", item["id"]) if item.get("id") else None,
        "lineItem": item.get("line_item") or {"id": item.get("line_item_id"), "quantity": item.get("quantity")},
        "location": store_of(info).locations.get(int(location)) if location else None,
        "quantity": int(item.get("quantity") or 0),
        "restockType": str(item.get("restock_type") or "no_restock").upper(),
        "restocked": item.get("restock_type") in ("return", "cancel", "legacy_restock"),
        "priceSet": _bag(item.get("line_item") or {}, "price", currency),
        "subtotalSet": _bag(item, "subtotal", currency),
        "totalTaxSet": _bag(item, "total_tax", currency),
    }


def _refund_shipping(item: dict[str, Any], info: Info) -> dict[str, Any]:
    currency = _cur(info)
    line = item.get("shipping_line") or {"id": item.get("shipping_line_id")}
    return {
        "id": gid("RefundShippingLine", item.get("id") or 0),
        "shippingLine": _shipping_line({**line, "id": line.get("id") or item.get("shipping_line_id")}, currency),
        "subtotalAmountSet": _bag(item, "subtotal_amount", currency),
        "taxAmountSet": _bag(item, "tax_amount", currency),
    }


def _adjustment(item: dict[str, Any], info: Info) -> dict[str, Any]:
    currency = _cur(info)
    reason = str(item.get("kind") or "refund_discrepancy").upper()
    return {
        "id": gid("OrderAdjustment", item.get("id") or 0),
        "reason": reason if reason in REASONS else "REFUND_DISCREPANCY",
        "amountSet": _bag(item, "amount", currency),
        "taxAmountSet": _bag(item, "tax_amount", currency),
    }


def _duties(refund: dict[str, Any], info: Info) -> list[dict[str, Any]]:
    duties = refund.get("duties")
    if isinstance(duties, dict):
        duties = duties.get("duties")
    return [
        {"amountSet": _bag(d, "amount", _cur(info)), "originalDuty": {"id": gid("Duty", d.get("duty_id") or 0)}}
        for d in duties or []
        if isinstance(d, dict)
    ]


TYPES: dict[str, dict[str, Any]] = {
    "QueryRoot": {"refund": _refund_by_id},
    "Order": {
        "number": lambda o, _i: int(o.get("order_number") or 0),
        "sourceName": lambda o, _i: o.get("source_name"),
        "taxesIncluded": lambda o, _i: bool(o.get("taxes_included")),
        "taxExempt": lambda o, _i: bool(o.get("tax_exempt")),
        "retailLocation": lambda o, i: (
            store_of(i).locations.get(int(o["location_id"])) if o.get("location_id") else None
        ),
        "customer": lambda o, _i: o.get("customer") if isinstance(o.get("customer"), dict) else None,
        "billingAddress": lambda o, _i: _address(o.get("billing_address")),
        "shippingAddress": lambda o, _i: _address(o.get("shipping_address")),
        "totalDiscountsSet": lambda o, i: money_bag(o, "total_discounts", o.get("currency") or _cur(i)),
        "currentTotalTaxSet": lambda o, i: (
            money_bag(o, "current_total_tax", o.get("currency") or _cur(i))
            or _bag(o, "total_tax", o.get("currency") or _cur(i))
        ),
        "taxLines": lambda o, i: [_tax_line(t, o.get("currency") or _cur(i)) for t in o.get("tax_lines") or []],
        "discountApplications": lambda o, i, **a: _connection(
            [
                _application(d, n, o.get("currency") or _cur(i))
                for n, d in enumerate(o.get("discount_applications") or [])
            ],
            a,
        ),
        "shippingLines": lambda o, i, includeRemovals=False, **a: _connection(
            [
                _shipping_line(s, o.get("currency") or _cur(i))
                for s in o.get("shipping_lines") or []
                if includeRemovals or not s.get("is_removed")
            ],
            a,
        ),
        "transactions": lambda o, i, first=None, **_a: [
            transaction(t, o.get("currency") or _cur(i)) for t in o.get("transactions") or []
        ][:first],
    },
    "Customer": {
        "id": lambda c, _i: gid("Customer", c["id"]),
        "legacyResourceId": lambda c, _i: str(c["id"]),
        "firstName": lambda c, _i: c.get("first_name"),
        "lastName": lambda c, _i: c.get("last_name"),
        "defaultEmailAddress": lambda c, _i: {"emailAddress": c["email"]} if c.get("email") else None,
        "defaultPhoneNumber": lambda c, _i: {"phoneNumber": c["phone"]} if c.get("phone") else None,
        "defaultAddress": lambda c, _i: _address(c.get("default_address")),
    },
    "LineItem": {
        "taxable": lambda li, _i: bool(li.get("taxable", True)),
        "isGiftCard": lambda li, _i: bool(li.get("gift_card")),
        "variant": lambda li, _i: {"id": gid("ProductVariant", li["variant_id"])} if li.get("variant_id") else None,
        "product": lambda li, _i: {"id": gid("Product", li["product_id"])} if li.get("product_id") else None,
        "discountAllocations": lambda li, i: [_allocation(a, _cur(i)) for a in li.get("discount_allocations") or []],
        "taxLines": lambda li, i: [_tax_line(t, _cur(i)) for t in li.get("tax_lines") or []],
    },
    "Refund": {
        "order": _order_of_refund,
        "processedAt": lambda r, _i: to_utc(r.get("processed_at") or r.get("created_at")),
        "updatedAt": lambda r, _i: to_utc(r.get("created_at")),
        "refundLineItems": lambda r, i, **a: _connection(
            [_refund_line(x, i) for x in r.get("refund_line_items") or []], a
        ),
        "refundShippingLines": lambda r, i, **a: _connection(
            [_refund_shipping(x, i) for x in r.get("refund_shipping_lines") or []], a
        ),
        "orderAdjustments": lambda r, i, **a: _connection(
            [_adjustment(x, i) for x in r.get("order_adjustments") or [] if x.get("kind") != "shipping_refund"], a
        ),
        "transactions": lambda r, i, **a: _connection(
            [transaction(t, _cur(i)) for t in r.get("transactions") or []], a
        ),
        "duties": _duties,
    },
}

ABSTRACT = {
    "DiscountApplication": lambda value, *_: value["__typename"],
    "PricingValue": lambda value, *_: value["__typename"],
}
