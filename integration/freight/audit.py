"""The freight audit: for every shipped order, side by side

* ``quoted``: the rate the shopper saw at checkout (quote audit, append blobs in ``ratequotes``);
* ``charged``: the shipping Shopify charged (the order's shipping lines, shop currency);
* ``fo_order`` / ``fo_invoiced``: the freight line(s) on the F&O sales order and its invoices (item
  ``D365_FREIGHT_ITEM``, which order sync uses for freight);
* ``actual``: what FedEx billed (the sum of ``Net Charge Amount`` over the order's tracking numbers in the
  uploaded FedEx invoice exports), with service, rated weight, dimensions, zone and surcharges kept.

Drift is ``actual - quoted`` (``actual - charged`` when no quote is found) and is flagged beyond
``max(FREIGHT_DRIFT_TOLERANCE, FREIGHT_DRIFT_TOLERANCE_PERCENT % of that reference)``: a ``freight_drift``
exception with the values, resolved when a later audit is within tolerance.

Quote matching (``find_quote``): Shopify's carrier-rate callback carries no cart, checkout or order id, so
the quote audit keeps a keyed fingerprint of what the callback and the order reliably share (destination
country, postal code and street line; shippable items and quantities): a quote with the order's
fingerprint is the shopper's (``quote_match = cart``). Without one (cart changed after the last rate, no
``REDACTION_KEY``, quotes older than the day before), the older guess by area is used (``area``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from azure.data.tables import UpdateMode

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client, odata_literal
from integration.clients.shopify import ShopifyAdmin
from integration.freight.invoice_csv import FedexCharge
from integration.rates.quotes import cart_key, day_quotes
from shared import tables
from shared.storage import Storage, safe_key

CENT = Decimal("0.01")


@dataclass
class Tolerance:
    amount: Decimal = Decimal("1.00")
    percent: Decimal = Decimal("10")

    def allowed(self, reference: Decimal) -> Decimal:
        return max(self.amount, (abs(reference) * self.percent / 100).quantize(CENT))


@dataclass
class FreightLine:
    order_id: str
    order_name: str = ""
    sales_order: str = ""
    day: str = ""
    service: str = ""  # Shopify shipping code
    fedex_service: str = ""
    tracking: list[str] = field(default_factory=list)
    currency: str = ""
    quoted: str = ""
    quote_match: str = ""  # cart (same destination and items) | area (same country and postal prefix) | none
    charged: str = ""
    fo_order: str = ""
    fo_invoiced: str = ""
    actual: str = ""
    actual_source: str = ""  # invoice | ship_api
    drift: str = ""
    flagged: bool = False
    details: list[dict[str, Any]] = field(default_factory=list)  # per package: weight, dims, zone, surcharges


def store_charges(storage: Storage, charges: list[FedexCharge]) -> None:
    """Invoice rows by (tracking number, invoice number); a Ship API shipment under each of its package
    numbers (RowKey ``ship-api``), every copy naming the master, so the audit counts it once."""
    table = storage.table(tables.FEDEX_CHARGES)
    for charge in charges:
        text = json.dumps(asdict(charge), default=str)
        if charge.source == "ship_api":
            keys = [(number, "ship-api") for number in charge.packages or [charge.tracking]]
        else:
            keys = [(charge.tracking, charge.invoice_number or "-")]
        for partition, row_key in keys:
            row = {
                "PartitionKey": safe_key(partition),
                "RowKey": safe_key(row_key),
                "NetCharge": str(charge.net_charge),
                "Charge": text,
            }
            table.upsert_entity(row, mode=UpdateMode.REPLACE)


def charges_for(storage: Storage, tracking: str) -> list[dict[str, Any]]:
    rows = storage.table(tables.FEDEX_CHARGES).query_entities(
        "PartitionKey eq @p", parameters={"p": safe_key(tracking)}
    )
    return [json.loads(r["Charge"]) for r in rows]


def actual_charges(storage: Storage, tracking: set[str]) -> tuple[list[dict[str, Any]], str]:
    """The charges of an order's packages and where they come from: FedEx's invoice when it has billed
    any of them (what was billed beats what was rated at label time), else the Ship API replies."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for number in sorted(tracking):
        for charge in charges_for(storage, number):
            source = str(charge.get("source") or "invoice")
            found.setdefault((source, str(charge["tracking"]), str(charge.get("invoice_number") or "")), charge)
    for source in ("invoice", "ship_api"):
        chosen = [c for key, c in sorted(found.items()) if key[0] == source]
        if chosen:
            return chosen, source
    return [], ""


def shipped_orders(storage: Storage) -> dict[str, tuple[str, set[str]]]:
    """Shopify order id -> (sales order, tracking numbers), from the fulfillment sync's slip records."""
    out: dict[str, tuple[str, set[str]]] = {}
    query = "PartitionKey ge 'slip|' and PartitionKey lt 'slip}'"
    for row in storage.table(tables.FULFILLMENT_SYNC).query_entities(query):
        order_id = str(row.get("ShopifyOrderId") or "")
        if not order_id:
            continue
        sales_order = str(row["PartitionKey"])[5:]
        _, numbers = out.setdefault(order_id, (sales_order, set()))
        numbers.update(json.loads(row.get("TrackingNumbers") or "[]"))
    return out


class QuoteIndex:
    """The quote audit's days, each read once per audit run and indexed by cart key and by area
    (country, postal prefix): an audit of many orders reads each day's blobs once, not once per order."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._days: dict[str, tuple[dict[str, list[Quote]], dict[tuple[str, str], list[Quote]]]] = {}

    def day(self, day: str) -> tuple[dict[str, list[Quote]], dict[tuple[str, str], list[Quote]]]:
        found = self._days.get(day)
        if found is None:
            by_cart: dict[str, list[Quote]] = {}
            by_area: dict[tuple[str, str], list[Quote]] = {}
            for row in day_quotes(self.storage, day):
                try:
                    at = datetime.fromisoformat(str(row["at"]))
                    prices = {
                        str(r.get("code")): Decimal(str(r["price"])) / 100  # Shopify carrier rates are in subunits
                        for r in row.get("rates") or []
                        if r.get("price") is not None
                    }
                except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError):
                    continue  # not a quote record of ours (one bad line must not stop the audit)
                if at.tzinfo is None:
                    continue
                quote = (at, prices)
                if row.get("cart"):
                    by_cart.setdefault(str(row["cart"]), []).append(quote)
                area = (str(row.get("country") or ""), str(row.get("postal_prefix") or ""))
                by_area.setdefault(area, []).append(quote)
            found = self._days[day] = (by_cart, by_area)
        return found


Quote = tuple[datetime, dict[str, Decimal]]


def _latest(quotes: list[Quote], created: datetime, code: str, best: Quote | None) -> Quote | None:
    for quote in quotes:
        if quote[0] <= created and code in quote[1] and (best is None or quote[0] > best[0]):
            best = quote
    return best


def find_quote(
    quotes: QuoteIndex, created: datetime, country: str, postal: str, code: str, cart: str = ""
) -> tuple[Decimal | None, str]:
    """(the quoted price, how it was matched): ``cart`` when a quote of the same cart key (destination
    and items, see ``integration.rates.quotes.cart_key``) exists, else ``area`` (same country and postal
    prefix: a guess), else ``none``. Only quotes of the order's day or the day before (UTC), at or before
    the order's creation, offering the order's shipping code, count; the latest wins."""
    when = created.astimezone(UTC)
    days = [quotes.day(d.isoformat()) for d in (when.date() - timedelta(days=1), when.date())]
    if cart:
        best = None
        for by_cart, _ in days:
            best = _latest(by_cart.get(cart, []), when, code, best)
        if best:
            return best[1][code], "cart"
    best = None
    for _, by_area in days:
        best = _latest(by_area.get((country, (postal or "")[:3]), []), when, code, best)
    return (best[1][code], "area") if best else (None, "none")


def order_cart_key(order: dict[str, Any]) -> str:
    address = order.get("shipping_address") or {}
    items = (
        (str(line.get("variant_id") or line.get("sku") or ""), int(line.get("quantity") or 0))
        for line in order.get("line_items") or []
        if line.get("requires_shipping", True)
    )
    return cart_key(
        str(address.get("country_code") or ""), str(address.get("zip") or ""), str(address.get("address1") or ""), items
    )


def _fo_freight(d365: D365Client, sales_order: str, item: str) -> tuple[Decimal | None, Decimal | None]:
    literal = odata_literal(sales_order)
    lines = list(
        d365.query("SalesOrderLines", filter=f"SalesOrderNumber eq {literal} and ItemNumber eq {odata_literal(item)}")
    )
    ordered = sum((Decimal(str(r.get("LineAmount") or 0)) for r in lines), Decimal(0)) if lines else None
    invoices = [
        str(r["InvoiceNumber"]) for r in d365.query("SalesInvoiceHeadersV2", filter=f"SalesOrderNumber eq {literal}")
    ]
    invoiced: Decimal | None = None
    for number in invoices:
        for row in d365.query("SalesInvoiceV2Lines", filter=f"InvoiceNumber eq {odata_literal(number)}"):
            if str(row.get("ProductNumber", "")).casefold() == item.casefold():
                invoiced = (invoiced or Decimal(0)) + Decimal(str(row.get("LineAmount") or 0))
    return ordered, invoiced


def _text(value: Decimal | None) -> str:
    return "" if value is None else str(value.quantize(CENT))


def audit_order(
    storage: Storage,
    d365: D365Client,
    shopify: ShopifyAdmin,
    order_id: str,
    sales_order: str,
    tracking: set[str],
    tolerance: Tolerance,
    freight_item: str = "FREIGHT",
    quotes: QuoteIndex | None = None,
) -> FreightLine:
    """One order's freight line; ``quotes``: the run's quote index (one per run, shared by its orders)."""
    order = shopify.get_order(order_id) or {}
    shipping_lines = order.get("shipping_lines") or []
    code = str(shipping_lines[0].get("code") or "") if shipping_lines else ""
    charged = sum((Decimal(str(s.get("price") or 0)) for s in shipping_lines), Decimal(0)) if shipping_lines else None
    created_text = str(order.get("created_at") or datetime.now().astimezone().isoformat())
    created = datetime.fromisoformat(created_text.replace("Z", "+00:00"))
    address = order.get("shipping_address") or {}
    quoted, matched = find_quote(
        quotes or QuoteIndex(storage),
        created,
        str(address.get("country_code") or ""),
        str(address.get("zip") or ""),
        code,
        order_cart_key(order),
    )
    fo_order, fo_invoiced = _fo_freight(d365, sales_order, freight_item)
    details, source = actual_charges(storage, tracking)
    actual = sum((Decimal(c["net_charge"]) for c in details), Decimal(0)) if details else None
    line = FreightLine(
        order_id=order_id,
        order_name=str(order.get("name") or ""),
        sales_order=sales_order,
        day=next((c["ship_date"] for c in details if c.get("ship_date")), created.date().isoformat()),
        service=code,
        fedex_service=", ".join(sorted({c["service"] for c in details if c.get("service")})),
        tracking=sorted(tracking),
        currency=str(order.get("currency") or ""),
        quoted=_text(quoted),
        quote_match=matched,
        charged=_text(charged),
        fo_order=_text(fo_order),
        fo_invoiced=_text(fo_invoiced),
        actual=_text(actual),
        actual_source=source,
        details=details,
    )
    reference = quoted if quoted is not None else charged
    exceptions = ExceptionStore(storage)
    if actual is not None and reference is not None:
        drift = actual - reference
        line.drift = _text(drift)
        line.flagged = abs(drift) > tolerance.allowed(reference)
        if line.flagged:
            values = {k: v for k, v in asdict(line).items() if k != "details"} | {"packages": details}
            message = (
                f"FedEx billed {line.actual}, the shopper was quoted {line.quoted or '?'} (charged {line.charged})"
            )
            exceptions.open("freight", order_id, "freight_drift", message, values)
        else:
            exceptions.resolve("freight", order_id, "freight within tolerance")
    save(storage, line)
    return line


def save(storage: Storage, line: FreightLine) -> None:
    data = asdict(line)
    row = {
        "PartitionKey": safe_key(line.day),
        "RowKey": safe_key(line.order_id),
        **{k: (json.dumps(v, default=str) if isinstance(v, list) else v) for k, v in data.items()},
    }
    table = storage.table(tables.FREIGHT_AUDIT)
    # A line moves to the FedEx shipment day once the invoice arrives: drop the one under the order day.
    for old in table.query_entities("RowKey eq @r", parameters={"r": safe_key(line.order_id)}):
        if old["PartitionKey"] != row["PartitionKey"]:
            table.delete_entity(old["PartitionKey"], old["RowKey"])
    table.upsert_entity(row, mode=UpdateMode.REPLACE)


def audit_lines(storage: Storage, since: str = "", until: str = "9999") -> list[dict[str, Any]]:
    rows = storage.table(tables.FREIGHT_AUDIT).query_entities(
        "PartitionKey ge @a and PartitionKey le @b", parameters={"a": since or "0000", "b": until}
    )
    out = []
    for row in rows:
        item = {k: row.get(k) for k in FreightLine.__dataclass_fields__}
        item["tracking"] = json.loads(row.get("tracking") or "[]")
        item["details"] = json.loads(row.get("details") or "[]")
        out.append(item)
    return out
