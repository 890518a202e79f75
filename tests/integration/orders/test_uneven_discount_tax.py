"""An uneven per-unit discount (3 units, 10.00 off) must land in F&O with Shopify's tax and total to the cent.

Regression for the chaos-suite finding: the line used to be split in two F&O lines (1 x 3.34 off + 2 x 3.33
off); F&O rounds tax per line, so at 19.99 the split order's tax was 3.63 against Shopify's 3.62."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from integration.orders.records import OrderRecords
from tests.conftest import present
from tests.integration.orders.conftest import good_order

pytestmark = pytest.mark.azurite

CENT = Decimal("0.01")


def test_uneven_discount_lands_as_one_line_with_shopifys_tax_and_total(sync, admin):
    body = good_order(lines=[("IPOD2008GREEN", 3, "19.99", "10.00"), ("IPOD2008RED", 1, "199.00", "0.00")])
    order = admin.shop_order(body)
    outcome = sync.handle("orders/create", order)
    assert (outcome.status, outcome.action) == ("created", "created"), outcome
    [header] = admin.fo_rows("SalesOrderHeadersV2")
    assert Decimal(str(header["OrderTotalTaxAmount"])) == Decimal(order["total_tax"])
    assert Decimal(str(header["OrderTotalAmount"])) == Decimal(order["total_price"])
    line_item = order["line_items"][0]
    fo_lines = [x for x in admin.fo_rows("SalesOrderLines") if x["OrderLineReference"] == str(line_item["id"])]
    assert len(fo_lines) == 1  # one F&O line per Shopify line item: F&O's per-line tax is Shopify's
    [line] = fo_lines
    assert Decimal(str(line["LineAmount"])) == Decimal("49.97")
    assert (Decimal(str(line["LineAmount"])) * Decimal("0.0725")).quantize(CENT, ROUND_HALF_UP) == Decimal(
        line_item["tax_lines"][0]["price"]
    )
    record = present(OrderRecords(sync.storage).get(order["id"]))
    assert record.line_lots[str(line_item["id"])] == [line["InventoryLotId"]]
