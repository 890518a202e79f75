"""Inventory after the chaos: the invoices the run posted moved F&O on-hand; one run of the inventory push
(the app's ``inventory_timer``, fired through the host's admin API) must leave its ledger, Shopify's
quantities and F&O's on-hand agreeing for every SKU both systems know.

F&O side computed here from ``WarehousesOnHandV2`` and ``config/inventory.json`` (the measure summed
over each location's warehouses, floored to whole units, never below 0) rather than with the push's own
code, so the check does not grade its own homework.
"""

from __future__ import annotations

import json
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import httpx

from integration.inventory.ledger import Ledger
from sandbox.harness import APP_ROOT as ROOT
from sandbox.harness.chaos.chaos_stack import ChaosStack
from sandbox.harness.chaos.drain import fo_rows
from sandbox.harness.chaos.reconcile import Report
from shared.storage import Storage

MEASURES = {
    "available_on_hand": "AvailableOnHandQuantity",
    "on_hand": "OnHandQuantity",
    "total_available": "TotalAvailableQuantity",
}
DONE = "Executed 'Functions.inventory_timer'"


def registered() -> bool:
    return "inventory_timer" in (ROOT / "function_app.py").read_text()


def run_push(stack: ChaosStack, timeout_s: float = 240) -> str:
    """Fire the inventory timer once and wait for it; returns its summary log line (or raises)."""
    host = stack.current()
    before = host.text().count(DONE)
    response = httpx.post(
        f"{host.url}/admin/functions/inventory_timer",
        json={"input": ""},
        headers={"x-functions-key": stack.master_key},
        timeout=30,
    )
    response.raise_for_status()
    host.wait_for(lambda text: text.count(DONE) > before, timeout=timeout_s, what="the inventory push")
    return next((line for line in reversed(host.lines) if "inventory.sync" in line), "")


def expected(fo: httpx.Client, config: dict[str, Any]) -> dict[tuple[str, str], int]:
    """(Shopify location name, SKU) -> whole units F&O says should be on sale there."""
    measure = MEASURES[config.get("measure", "available_on_hand")]
    where: dict[tuple[str, str], str] = {}
    for location in config["locations"]:
        for warehouse in location["warehouses"]:
            where[(str(warehouse["site"]), str(warehouse["warehouse"]))] = location["shopify_location"]
    sums: dict[tuple[str, str], Decimal] = {}
    for row in fo_rows(fo, "WarehousesOnHandV2"):
        if str(row.get("dataAreaId", "usmf")).lower() != "usmf":  # the app's legal entity (D365_LEGAL_ENTITY)
            continue
        name = where.get((str(row.get("InventorySiteId")), str(row.get("InventoryWarehouseId"))))
        if name:
            key = (name, str(row["ItemNumber"]))
            sums[key] = sums.get(key, Decimal(0)) + Decimal(str(row.get(measure, 0)))
    safety = Decimal(str(config.get("safety_stock", 0)))
    return {key: max(0, int((total - safety).to_integral_value(rounding=ROUND_FLOOR))) for key, total in sums.items()}


def reconcile_inventory(report: Report, stack: ChaosStack, storage: Storage) -> None:
    assert stack.fo is not None and stack.shop is not None
    if not registered():
        report.add(
            "inventory", "ledger vs F&O", 0, note="NOT CHECKED: the inventory push is not registered in function_app.py"
        )
        return
    config = json.loads((ROOT / "config" / "inventory.json").read_text())
    try:
        summary = run_push(stack)
    except (httpx.HTTPError, TimeoutError) as error:
        report.must_be("inventory", "inventory push completed", 0, 1, f"{type(error).__name__}: {error}"[:120])
        return
    shop = httpx.get(f"{stack.shop.url}/_emulator/state", timeout=60).json()
    names = {str(loc["id"]): loc["name"] for loc in shop["locations"]}
    publish_as = config.get("publish_as", "available")
    in_shopify = {
        (names[str(row["location_id"])], row["sku"]): int(row[publish_as])
        for row in shop["inventory"]
        if row.get("sku") and str(row["location_id"]) in names
    }
    ledger = Ledger(storage)
    ledger.load([f"gid://shopify/Location/{loc_id}" for loc_id in names])
    published = {
        (names[gid.rsplit("/", 1)[-1]], sku): quantity for (gid, sku), quantity in ledger.quantities(publish_as).items()
    }
    with httpx.Client(base_url=stack.fo.url, timeout=60) as fo:
        wanted = expected(fo, config)
    both = sorted(set(wanted) & set(in_shopify))
    off_ledger = [f"{k}: F&O {wanted[k]}, ledger {published.get(k)}" for k in both if published.get(k) != wanted[k]]
    off_shop = [f"{k}: F&O {wanted[k]}, Shopify {in_shopify[k]}" for k in both if in_shopify[k] != wanted[k]]
    report.add(
        "inventory",
        "SKU x location known to both",
        len(both),
        note=" ".join(p for p in summary.split() if p.startswith(("status=", "pushed=", "changed="))),
    )
    report.must_be("inventory", "ledger != F&O on-hand", len(off_ledger), 0, "after the invoices moved stock")
    report.must_be("inventory", "Shopify != F&O on-hand", len(off_shop), 0, f"published as {publish_as}")
    report.details += off_ledger[:10] + off_shop[:10]
