"""F&O's write rules for the product-master sets of product_entities.py.

* ``ReleasedProductVariantsV2``: the product master must be released in the company and be a
  product master; product dimensions are keys that may be empty, but a variant needs at least one.
* ``SalesPriceAgreements``: ``RecordId`` is the table's RecId, assigned by F&O when not given;
  the item must be released in the company.
* ``ProductTranslations``: product number and language are required.
"""

from __future__ import annotations

from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.entities import EntitySet
from sandbox.emulators.d365.store import Row
from sandbox.emulators.d365.wire import already_exists, must_be_filled, not_in_related

DIMENSIONS = ("ProductColorId", "ProductConfigurationId", "ProductSizeId", "ProductStyleId", "ProductVersionId")
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


CREATE = {
    "ReleasedProductVariantsV2": create_variant,
    "SalesPriceAgreements": create_agreement,
    "ProductTranslations": create_translation,
}
