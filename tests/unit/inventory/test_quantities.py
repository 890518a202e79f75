"""Pure calculation and mapping: F&O rows -> quantities per location and SKU, the diff, the wire."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from integration.inventory.config import InventoryConfig, Measure, load_config, parse_config
from integration.inventory.publish import (
    MUTATION,
    Quantity,
    _row_index,
    idempotency_key,
    variables,
)
from integration.inventory.quantities import Change, OnHand, batches, diff, sku_of, targets, whole_units
from integration.inventory.sources import on_hand_filter
from shared.settings import SettingsError

CONFIG = {
    "locations": [
        {"shopify_location": "Main", "warehouses": [{"site": "1", "warehouse": "11"}, "12"]},
        {"shopify_location": "gid://shopify/Location/2", "warehouses": ["21"], "safety_stock": 2},
    ],
}


def row(item: str, warehouse: str, available: str, site: str = "1", **more: str) -> dict[str, object]:
    values: dict[str, object] = {
        "ItemNumber": item,
        "InventorySiteId": site,
        "InventoryWarehouseId": warehouse,
        "AvailableOnHandQuantity": Decimal(available),
        "ProductColorId": "",
        "ProductSizeId": "",
        "ProductStyleId": "",
        "ProductConfigurationId": "",
        "ProductVersionId": "",
    }
    values.update({k: Decimal(v) if k.endswith("Quantity") else v for k, v in more.items()})
    return values


def compute(rows: list[dict[str, object]], config: InventoryConfig | None = None) -> dict[tuple[str, str], int]:
    config = config or parse_config(CONFIG)
    return targets([OnHand.from_row(r, config.measure) for r in rows], config)


def test_warehouses_of_a_location_are_summed_and_safety_stock_subtracted() -> None:
    result = compute(
        [row("A", "11", "5"), row("A", "12", "3"), row("A", "21", "10", site="2"), row("A", "99", "1000")]
    )  # 99 is not mapped
    assert result == {("Main", "A"): 8, ("gid://shopify/Location/2", "A"): 8}


@pytest.mark.parametrize(("value", "expected"), [("7.99", 7), ("0.5", 0), ("-3", 0), ("-0.01", 0), ("12", 12)])
def test_whole_units_floor_and_never_negative(value: str, expected: int) -> None:
    assert whole_units(Decimal(value)) == expected


def test_a_negative_warehouse_reduces_its_location_and_the_total_never_goes_below_zero() -> None:
    assert compute([row("A", "11", "10"), row("A", "12", "-4")])[("Main", "A")] == 6
    assert compute([row("A", "11", "1"), row("A", "12", "-4")])[("Main", "A")] == 0


def test_site_must_match_when_configured() -> None:
    assert compute([row("A", "11", "5", site="2")]) == {}  # warehouse 11 of another site
    assert compute([row("A", "12", "5", site="9")]) == {("Main", "A"): 5}  # no site configured for 12


def test_safety_stock_precedence() -> None:
    config = parse_config(
        {
            "safety_stock": 1,
            "safety_stock_items": {"B": 4},
            "locations": [
                {"shopify_location": "Main", "warehouses": ["11"], "safety_stock": 2, "safety_stock_items": {"C": 3}},
                {"shopify_location": "East", "warehouses": ["21"]},
            ],
        }
    )
    rows = [row(i, w, "10") for i in "ABC" for w in ("11", "21")]
    assert compute(rows, config) == {
        ("Main", "A"): 8,
        ("Main", "B"): 6,
        ("Main", "C"): 7,
        ("East", "A"): 9,
        ("East", "B"): 6,
        ("East", "C"): 9,
    }


@pytest.mark.parametrize(
    ("measure", "expected"),
    [(Measure.AVAILABLE_ON_HAND, 5), (Measure.AVAILABLE_INCL_ORDERED, 12), (Measure.TOTAL_AVAILABLE, 20)],
)
def test_measures(measure: Measure, expected: int) -> None:
    config = parse_config({**CONFIG, "measure": measure.value})
    data = row("A", "11", "5", AvailableOrderedQuantity="7", TotalAvailableQuantity="20")
    assert compute([data], config)[("Main", "A")] == expected


def test_sku_from_item_dimensions_and_overrides() -> None:
    config = parse_config({**CONFIG, "skus": {"TSHIRT-RED-L": "TS-R-L"}, "variant_separator": "-"})
    assert sku_of("A0001", ["", "", "", "", ""], config) == "A0001"
    assert sku_of("TSHIRT", ["RED", "", "M", "", ""], config) == "TSHIRT-RED-M"
    assert sku_of("TSHIRT", ["RED", "", "L", "", ""], config) == "TS-R-L"


def test_diff_sends_only_changes_and_zeroes_what_vanished() -> None:
    wanted = {("L1", "A"): 5, ("L1", "B"): 3, ("L1", "C"): 0}
    published = {("L1", "A"): 5, ("L1", "B"): 4, ("L1", "D"): 9, ("L1", "E"): 0}
    result = diff(wanted, published)
    assert result.unchanged == 1
    assert sorted(result.changes, key=lambda c: c.sku) == [
        Change("L1", "B", 3, 4),
        Change("L1", "C", 0, None),
        Change("L1", "D", 0, 9),
    ]
    assert result.changes == diff(dict(reversed(wanted.items())), published).changes  # order is stable
    assert len(diff(wanted, published, full=True).changes) == 4  # full resync resends A too


def test_batches_of_at_most_250() -> None:
    assert [len(b) for b in batches(list(range(501)), 250)] == [250, 250, 1]


def test_filter_is_an_or_chain_scoped_to_the_legal_entity() -> None:
    text = on_hand_filter(parse_config(CONFIG), "usmf")
    assert text == (
        "dataAreaId eq 'usmf' and ((InventorySiteId eq '1' and InventoryWarehouseId eq '11') or "
        "InventoryWarehouseId eq '12' or InventoryWarehouseId eq '21')"
    )


def _q(quantity: int, compare: int | None) -> Quantity:
    return Quantity(
        Change("gid://shopify/Location/1", "A", quantity, compare), "gid://shopify/InventoryItem/9", compare
    )


def test_wire_format() -> None:
    rows = [_q(5, 3), _q(6, None)]
    sent = variables(rows, name="on_hand", reason="correction", uri="gid://x/Sync/1", key="k")
    assert sent["input"]["referenceDocumentUri"] == "gid://x/Sync/1" and sent["key"] == "k"
    assert [q["changeFromQuantity"] for q in sent["input"]["quantities"]] == [3, None]  # null opts out, explicitly
    assert "ignoreCompareQuantity" not in sent["input"]
    assert all("compareQuantity" not in q for q in sent["input"]["quantities"])
    assert "@idempotent(key: $key)" in MUTATION


def test_idempotency_key_is_stable_per_run_and_content() -> None:
    rows = [_q(5, 3)]
    assert idempotency_key("run1", "on_hand", rows) == idempotency_key("run1", "on_hand", list(rows))
    assert idempotency_key("run1", "on_hand", rows) != idempotency_key("run2", "on_hand", rows)
    assert idempotency_key("run1", "on_hand", rows) != idempotency_key("run1", "on_hand", [_q(5, 4)])


def test_user_error_index() -> None:
    assert _row_index({"field": ["input", "quantities", "12", "changeFromQuantity"]}) == 12
    assert _row_index({"field": ["input", "reason"]}) is None
    assert _row_index({"field": None}) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"locations": []}, "locations"),
        (
            {
                "locations": [
                    {"shopify_location": "A", "warehouses": ["11"]},
                    {"shopify_location": "B", "warehouses": ["11"]},
                ]
            },
            "warehouse 11 is mapped to both",
        ),
        ({"measure": "everything"}, "measure"),
        ({"publish_as": "committed"}, "publish_as"),
        ({"batch_size": 251}, "batch_size"),
        ({"safety_stock": -1}, "safety_stock"),
        ({"safety_stock_colour": 1}, "safety_stock_colour"),
    ],
)
def test_invalid_config_names_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_config({**CONFIG, **change})


def test_shipped_config_is_valid_and_path_errors_name_the_setting(tmp_path: Path) -> None:
    config = load_config()
    assert config.publish_as.value == "on_hand" and config.batch_size == 250
    with pytest.raises(SettingsError, match="INVENTORY_CONFIG_PATH"):
        load_config(str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"locations": "nope"}))
    with pytest.raises(SettingsError, match="locations"):
        load_config(str(broken))
