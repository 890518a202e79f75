"""A full refund of a line with an uneven discount (3 x 19.99, 10.00 off) credits Shopify's tax to the cent.

Regression for the chaos-suite finding (4 of 500 refunds ``refund_tax_mismatch``): order sync used to split
such a line into two F&O lots, the refund then became two return lines, and F&O rounded tax on each
(1.21 + 2.42 = 3.63 against the 3.62 Shopify refunded). Order sync now writes one line per line item
(3.33 off per unit, -0.01 price charges, LineAmount 49.97), so the refund is one return line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.clients.d365 import BatchOp, D365Client
from integration.refunds.service import RefundService
from sandbox.emulators.serve import RunningServer
from tests.integration.refunds.conftest import _money, make_sale, tax

pytestmark = pytest.mark.azurite


def test_full_refund_of_an_unevenly_discounted_line_credits_shopifys_tax(
    service: RefundService, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    sale = make_sale(d365, d365_server.url, shopify_server.url, items=[("TSHIRT-1", 3, Decimal("19.99"))], in_fo=False)
    line_item = sale.lines[0]
    common = {
        "SalesOrderNumber": sale.number,
        "SalesTaxGroupCode": "CA",
        "ShippingSiteId": "1",
        "ShippingWarehouseId": "11",
        "RequestedShippingDate": "2025-06-01T12:00:00Z",
    }
    header = {
        "SalesOrderNumber": sale.number,
        "OrderingCustomerAccountNumber": "US-001",
        "CurrencyCode": "USD",
        "CustomerRequisitionNumber": str(sale.order_id),
        "SkipCreateAutoCharges": "Yes",
        "RequestedShippingDate": "2025-06-01T12:00:00Z",
        "SalesTaxGroupCode": "CA",
        "DefaultShippingSiteId": "1",
        "DefaultShippingWarehouseId": "11",
    }
    line = {
        **common,
        "ItemNumber": "TSHIRT-1",
        "OrderedSalesQuantity": 3,
        "SalesPrice": Decimal("19.99"),
        "LineDiscountAmount": Decimal("3.33"),
        "FixedPriceCharges": Decimal("-0.01"),
        "LineAmount": Decimal("49.97"),
        "OrderLineReference": str(line_item["id"]),
    }
    freight = {
        **common,
        "ItemNumber": "FREIGHT",
        "OrderedSalesQuantity": 1,
        "SalesPrice": sale.shipping,
        "LineAmount": sale.shipping,
        "OrderLineReference": f"shipping:{sale.shipping_id}",
    }
    d365.batch(
        [
            BatchOp("POST", "SalesOrderHeadersV2", header),
            BatchOp("POST", "SalesOrderLines", line),
            BatchOp("POST", "SalesOrderLines", freight),
        ]
    )
    sale.invoice()
    body = sale.refund_body([(0, 3, "return")])
    row = body["refund_line_items"][0]
    row["subtotal_set"], row["total_tax_set"] = _money(Decimal("49.97")), _money(tax(Decimal("49.97")))
    body["transactions"][0]["amount"] = f"{Decimal('49.97') + tax(Decimal('49.97')):.2f}"
    outcome = service.handle(body)
    assert outcome.status == "credited", outcome
    (credit,) = d365.query("ReturnOrderHeadersV2", filter=f"ReturnOrderNumber eq '{outcome.credit_note}'")
    assert -Decimal(str(credit["OrderTotalTaxAmount"])) == tax(Decimal("49.97")) == Decimal("3.62")
    assert -Decimal(str(credit["OrderTotalAmount"])) == Decimal("53.59")
