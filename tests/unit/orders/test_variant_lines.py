"""Order lines of a product master's variant carry its product dimensions (F&O refuses the item number alone)."""

from __future__ import annotations

from integration.mappings import Mappings, load_mappings
from integration.orders import validation as v
from integration.orders.model import parse_order
from integration.orders.salesorder import OrderSettings, build_sales_order
from integration.sku_registry import SkuEntry
from sandbox.harness.demo.sample_orders import erp_ready_order


class Registry:
    """The catalog's SKU registry as order sync sees it (the Table-backed one is tested with Azurite)."""

    def __init__(self, entries: dict[str, SkuEntry]) -> None:
        self.entries, self.reads = entries, 0

    def get_many(self, skus: list[str]) -> dict[str, SkuEntry]:
        self.reads += 1
        return {s: self.entries[s] for s in skus if s in self.entries}


def lines_of(m: Mappings, skus: list[str]) -> list[dict]:
    body = erp_ready_order([(s, 1, "20.00", "0.00") for s in skus])
    body.update(id=9001, order_number=1001, name="#1001")
    for n, item in enumerate(body["line_items"], start=1):
        item.update(id=n, variant_id=None)
    order = parse_order(body)
    decisions, failures = v.validate(order, m, {"T100", "A0001"})
    assert failures == []
    plan = build_sales_order(order, decisions, OrderSettings("usmf"), customer_account="C1")
    return [line for line in plan.lines if line["ItemNumber"] != "FREIGHT"]


def test_a_variant_sku_from_the_catalog_gets_item_number_and_dimensions() -> None:
    registry = Registry({"T100-Blue-M": SkuEntry.of("T100", {"ProductColorId": "Blue", "ProductSizeId": "M"})})
    m = load_mappings()
    m.registry = registry  # type: ignore[assignment]
    variant, plain = lines_of(m, ["T100-Blue-M", "A0001"])
    assert variant["ItemNumber"] == "T100"
    assert (variant["ProductColorId"], variant["ProductSizeId"]) == ("Blue", "M")
    assert "ProductStyleId" not in variant and "ProductConfigurationId" not in variant
    assert plain["ItemNumber"] == "A0001" and "ProductColorId" not in plain
    assert registry.reads == 1  # one read for the order's SKUs, not one per line or per lookup


def test_a_manual_mapping_wins_and_may_name_dimensions() -> None:
    registry = Registry({"T100-Blue-M": SkuEntry.of("T100", {"ProductColorId": "Blue", "ProductSizeId": "M"})})
    m = load_mappings()
    m.registry = registry  # type: ignore[assignment]
    m.set("skus", "OLD-SKU", {"ItemNumber": "T100", "ProductColorId": "Red", "ProductSizeId": "S"})
    m.set("skus", "T100-Blue-M", "T100")  # agrees with the catalog: the catalog's dimensions apply
    old, new = lines_of(m, ["OLD-SKU", "T100-Blue-M"])
    assert (old["ItemNumber"], old["ProductColorId"], old["ProductSizeId"]) == ("T100", "Red", "S")
    assert (new["ItemNumber"], new["ProductColorId"], new["ProductSizeId"]) == ("T100", "Blue", "M")


def test_without_storage_the_sku_is_the_item_number() -> None:
    [line] = lines_of(load_mappings(), ["A0001"])
    assert line["ItemNumber"] == "A0001" and not any(k.startswith("Product") for k in line)
