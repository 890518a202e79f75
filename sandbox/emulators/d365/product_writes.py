"""F&O's write rules for the product-master sets of product_entities.py.

* ``ReleasedProductVariantsV2``: the product master must be released in the company and be a
  product master; product dimensions are keys that may be empty, but a variant needs at least one.
* ``SalesPriceAgreements``: ``RecordId`` is the table's RecId, assigned by F&O when not given;
  the item must be released in the company.
* ``ProductTranslations``: product number and language are required.
* ``ProductBarcodesV3``: the item must be released; a barcode for a product master's variant names its
  product dimensions.
* A sales line (``SalesOrderLines``) for a product master must name the product dimensions of one of its
  variants: every dimension the master's variants use, and a combination that exists
  (``check_line_variant``, called by sales.py). The warning texts follow F&O's inventory dimension warning
  ("Inventory dimension Site is mandatory and must consequently be specified.", quoted in the HotWax
  sample); the text for an unknown combination is the emulator's own wording.
"""

from __future__ import annotations

from typing import Any

from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.entities import EntitySet
from sandbox.emulators.d365.store import Row
from sandbox.emulators.d365.wire import already_exists, must_be_filled, not_in_related, write_failed

DIMENSIONS = ("ProductColorId", "ProductConfigurationId", "ProductSizeId", "ProductStyleId", "ProductVersionId")
LABELS = {
    "ProductColorId": "Color",
    "ProductConfigurationId": "Configuration",
    "ProductSizeId": "Size",
    "ProductStyleId": "Style",
    "ProductVersionId": "Version",
}
_RECID = 5_637_100_000


def _unique(env: Env, es: EntitySet, row: Row) -> None:
    if env.store.get(es.table, tuple(row.get(k) for k in es.keys)) is not None:
        title = ", ".join(str(row.get(k)) for k in es.keys if k != "dataAreaId")
        raise already_exists(es.aot_entity, es.table_label, es.table, title)


def _released(env: Env, company: str, item: str) -> Row | None:
    return env.store.find("InventTable", dataAreaId=company, ItemNumber=item)


def create_variant(env: Env, es: EntitySet, row: Row) -> Row:
    master_number = str(row.get("ProductMasterNumber") or "")
    if not master_number:
        raise must_be_filled(es.aot_entity, es.table, "ProductMasterNumber")
    if not any(row.get(d) for d in DIMENSIONS):
        raise must_be_filled(es.aot_entity, es.table, "ProductColorId")
    master = env.store.find("InventTable", dataAreaId=row["dataAreaId"], ProductNumber=master_number)
    if master is None or master.get("ProductSubType") != "ProductMaster":
        raise not_in_related(es.aot_entity, es.table, master_number, "Product master", "Released product masters")
    row["ItemNumber"] = master["ItemNumber"]  # a variant shares its master's item number
    row.setdefault("ProductLifecycleStateId", master.get("ProductLifecycleStateId", ""))
    _unique(env, es, row)
    return row


def create_agreement(env: Env, es: EntitySet, row: Row) -> Row:
    if not row.get("ItemNumber"):
        raise must_be_filled(es.aot_entity, es.table, "ItemNumber")
    if _released(env, row["dataAreaId"], str(row["ItemNumber"])) is None:
        raise not_in_related(es.aot_entity, es.table, str(row["ItemNumber"]), "Item number", "Items")
    if not row.get("RecordId"):
        row["RecordId"] = _RECID + len(env.store.tables[es.table]) + 1
    _unique(env, es, row)
    return row


def create_translation(env: Env, es: EntitySet, row: Row) -> Row:
    for key in ("ProductNumber", "LanguageId"):
        if not row.get(key):
            raise must_be_filled(es.aot_entity, es.table, key)
    _unique(env, es, row)
    return row


def check_line_variant(env: Env, es: EntitySet, table: str, row: dict[str, Any], item: Row) -> None:
    """Refuse a sales line for a product master without the dimensions of one of its released variants."""
    if item.get("ProductSubType") != "ProductMaster":
        return
    company, master = row["dataAreaId"], str(item.get("ProductNumber") or item.get("ItemNumber"))
    variants = list(env.store.scan("InventDimCombination", dataAreaId=company, ProductMasterNumber=master))
    used = [d for d in DIMENSIONS if any(v.get(d) for v in variants)] or ["ProductColorId"]
    for dimension in used:
        if not row.get(dimension):
            raise write_failed(
                es.aot_entity,
                f"Inventory dimension {LABELS[dimension]} is mandatory and must consequently be specified.",
                table=table,
            )
    wanted = tuple(str(row.get(d) or "") for d in DIMENSIONS)
    if not any(tuple(str(v.get(d) or "") for d in DIMENSIONS) == wanted for v in variants):
        named = ", ".join(f"{LABELS[d]} {row[d]}" for d in DIMENSIONS if row.get(d))
        raise write_failed(
            es.aot_entity, f"Item {item.get('ItemNumber')} has no released product variant with {named}.", table=table
        )


def create_barcode(env: Env, es: EntitySet, row: Row) -> Row:
    for key in ("ItemNumber", "BarcodeSetupId", "Barcode"):
        if not row.get(key):
            raise must_be_filled(es.aot_entity, es.table, key)
    if _released(env, row["dataAreaId"], str(row["ItemNumber"])) is None:
        raise not_in_related(es.aot_entity, es.table, str(row["ItemNumber"]), "Item number", "Items")
    _unique(env, es, row)
    return row


CREATE = {
    "ProductBarcodesV3": create_barcode,
    "ReleasedProductVariantsV2": create_variant,
    "SalesPriceAgreements": create_agreement,
    "ProductTranslations": create_translation,
}
