"""Configurable mappings from Shopify values to F&O codes, and the order-flow policies.

Defaults come from ``config/mappings.json`` (shipped with the app, reviewed like code). Operations
override any entry in the Table ``mappings`` without a deployment: PartitionKey = section, RowKey =
key, ``Value`` = the F&O code (or a JSON object for warehouse rules and policies). Overrides are
cached per process for ``MAPPINGS_CACHE_SECONDS`` (30 s; reading the whole table for every order was a
fifth of an order's storage calls): a change reaches new orders within that window, at once in the
process that wrote it, and a retry of a failed order (``fresh=True``) always reads the table, so fixing
an ``UNMAPPED_SHIPPING_METHOD`` and retrying the order takes effect at once.

Sections (keys are case-insensitive except SKUs):
* ``shipping_methods``: shipping line ``code`` or ``title`` -> ``DeliveryModeCode``.
* ``tax``: ``title:<tax line title>`` (or ``title:<a>+<b>`` for a combination) -> sales tax group;
  special keys ``exempt`` (tax-exempt order), ``no_tax`` (no tax lines and no tax), ``channel_liable``
  (a marketplace collects and remits the tax).
* ``skus``: ``<sku>`` or ``variant:<variant id>`` -> ``ItemNumber``, or an object with ``ItemNumber`` and the
  product dimensions of a variant (``{"ItemNumber": "T100", "ProductColorId": "Blue"}``). Without an entry
  here, the SKUs the catalog sync registered (``sku_registry.py``, read per order for its SKUs only) apply,
  then the SKU itself as the item number.
* ``warehouses``: ``location:<id>``, ``province:<CC>-<PC>``, ``country:<CC>``, ``default`` ->
  ``{"site": "...", "warehouse": "..."}`` (first match in that order).
* ``policies``: ``inventory`` (``backorder`` | ``hold``), ``guest`` (``account`` | ``create`` |
  ``reject``), ``guest_account``, ``customer_group``, ``customer_match`` (``link,email,phone``),
  ``payment_terms``.
* ``header_defaults``: extra ``SalesOrderHeadersV2`` fields sent on every order (e.g.
  ``SalesOrderOriginCode``); empty values are not sent.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from azure.data.tables import UpdateMode

from integration.sku_registry import SkuEntry, SkuRegistry
from shared import tables
from shared.storage import Storage, safe_key

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "config" / "mappings.json"
SECTIONS = ("shipping_methods", "tax", "skus", "warehouses", "policies", "header_defaults")
_CASE_SENSITIVE = {"skus", "header_defaults"}
_MEMO = "mappings"  # key of the cached overrides in Storage.memo


@dataclass(frozen=True)
class Warehouse:
    site: str
    warehouse: str


@dataclass
class Mappings:
    shipping_methods: dict[str, str] = field(default_factory=dict)
    tax: dict[str, str] = field(default_factory=dict)
    skus: dict[str, Any] = field(default_factory=dict)
    warehouses: dict[str, Any] = field(default_factory=dict)
    policies: dict[str, Any] = field(default_factory=dict)
    header_defaults: dict[str, Any] = field(default_factory=dict)
    registry: SkuRegistry | None = field(default=None, repr=False, compare=False)
    _catalog: dict[str, SkuEntry | None] = field(default_factory=dict, repr=False, compare=False)

    def set(self, section: str, key: str, value: Any) -> None:
        """Put one entry (the key normalized the way lookups normalize it)."""
        target: dict[str, Any] = getattr(self, section)
        target[key if section in _CASE_SENSITIVE else _norm(key)] = value

    # ---- lookups ---------------------------------------------------------------------------------
    def delivery_mode(self, code: str, title: str) -> str | None:
        for key in (code, title):
            value = self.shipping_methods.get(_norm(key)) if key else None
            if value:
                return value
        return None

    def resolve_skus(self, skus: list[str]) -> None:
        """Read the catalog's entries of these SKUs in one go (an order's lines), once per SKU."""
        missing = [s for s in dict.fromkeys(skus) if s and s not in self._catalog]
        if self.registry is None or not missing:
            return
        found = self.registry.get_many(missing)
        for sku in missing:
            self._catalog[sku] = found.get(sku)

    def _catalog_entry(self, sku: str) -> SkuEntry | None:
        if sku and sku not in self._catalog:
            self.resolve_skus([sku])
        return self._catalog.get(sku)

    def sku_entry(self, sku: str, variant_id: int | None) -> SkuEntry:
        """F&O item number and product dimensions of one order line."""
        manual = (self.skus.get(f"variant:{variant_id}") if variant_id is not None else None) or self.skus.get(sku)
        entry = SkuEntry.parse(manual) if manual else None
        catalog = self._catalog_entry(sku)
        if entry is None:
            return catalog or SkuEntry(sku)
        if not entry.dimensions and catalog is not None and catalog.item_number == entry.item_number:
            return catalog  # a manual item number the catalog agrees with: the catalog knows the dimensions
        return entry

    def item_number(self, sku: str, variant_id: int | None) -> str:
        return self.sku_entry(sku, variant_id).item_number

    def line_dimensions(self, sku: str, variant_id: int | None) -> dict[str, str]:
        return self.sku_entry(sku, variant_id).dimensions

    def tax_group(self, key: str) -> str | None:
        return self.tax.get(_norm(key)) or None

    def warehouse_for(self, location_id: int | None, country: str, province: str) -> Warehouse | None:
        keys = []
        if location_id is not None:
            keys.append(f"location:{location_id}")
        if country and province:
            keys.append(f"province:{country}-{province}")
        if country:
            keys.append(f"country:{country}")
        keys.append("default")
        for key in keys:
            rule = self.warehouses.get(_norm(key))
            if isinstance(rule, dict) and (rule.get("warehouse") or rule.get("site")):
                return Warehouse(str(rule.get("site", "")), str(rule.get("warehouse", "")))
        return None

    def policy(self, name: str, default: Any = "") -> Any:
        value = self.policies.get(_norm(name))
        return default if value in (None, "") else value

    @property
    def inventory_policy(self) -> str:
        return str(self.policy("inventory", "backorder")).lower()

    @property
    def guest_policy(self) -> str:
        return str(self.policy("guest", "account")).lower()

    @property
    def customer_match(self) -> list[str]:
        value = self.policy("customer_match", "link,email,phone")
        items = value if isinstance(value, list) else str(value).split(",")
        return [str(i).strip().lower() for i in items if str(i).strip()]


def _norm(key: str) -> str:
    return " ".join(str(key).split()).lower()


@cache
def _defaults(path: str) -> dict[str, Any]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k in SECTIONS}


def _section(name: str, values: dict[str, Any]) -> dict[str, Any]:
    if name in _CASE_SENSITIVE:
        return dict(values)
    return {_norm(k): v for k, v in values.items()}


def _value(text: Any) -> Any:
    if isinstance(text, str) and text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def cache_seconds(setting: str = "MAPPINGS_CACHE_SECONDS") -> float:
    """A cache window in seconds from ``setting`` (default 30; 0 turns the cache off)."""
    try:
        return max(0.0, float(os.environ.get(setting, "") or 30))
    except ValueError:
        return 30.0


def forget_cached(storage: Storage) -> None:
    """Drop the overrides cached for this storage (after a write)."""
    storage.memo.pop(_MEMO, None)


def load_mappings(storage: Storage | None = None, path: Path | str = DEFAULT_FILE, *, fresh: bool = False) -> Mappings:
    """Defaults from the JSON file, overridden by the ``mappings`` table (when storage is given); the
    table is read at most once per ``MAPPINGS_CACHE_SECONDS`` per storage, unless ``fresh``."""
    now = time.monotonic()
    hit = None if fresh or storage is None else storage.memo.get(_MEMO)
    # The catalog's SKU registry is read per order for the order's SKUs; answers are kept as long as overrides.
    registry = SkuRegistry(storage, ttl=0.0 if fresh else cache_seconds()) if storage is not None else None
    if hit is not None and hit[0] == str(path) and now - hit[1] < cache_seconds():
        return Mappings(**{name: dict(values) for name, values in hit[2].items()}, registry=registry)
    sections = {name: _section(name, values) for name, values in _defaults(str(path)).items()}
    if storage is not None:
        for row in storage.table(tables.MAPPINGS).query_entities("PartitionKey ne ''"):
            name = row["PartitionKey"]
            if name not in SECTIONS:
                continue
            key = row.get("Key") or row["RowKey"]
            target = sections.setdefault(name, {})
            target[key if name in _CASE_SENSITIVE else _norm(key)] = _value(row.get("Value", ""))
        storage.memo[_MEMO] = (str(path), now, {name: dict(sections.get(name, {})) for name in SECTIONS})
    return Mappings(**{name: dict(sections.get(name, {})) for name in SECTIONS}, registry=registry)


class MappingStore:
    """Read/write access to the override table (used by tests and the ops API)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def set(self, section: str, key: str, value: Any) -> None:
        if section not in SECTIONS:
            raise ValueError(f"unknown mapping section {section!r}; one of {', '.join(SECTIONS)}")
        text = json.dumps(value) if isinstance(value, dict | list) else str(value)
        self.storage.table(tables.MAPPINGS).upsert_entity(
            {"PartitionKey": section, "RowKey": safe_key(key), "Key": key, "Value": text}, mode=UpdateMode.REPLACE
        )
        forget_cached(self.storage)

    def set_many(self, section: str, values: dict[str, Any]) -> None:
        """Put many entries of one section: Table transactions of up to 100 upserts (one partition)."""
        if section not in SECTIONS:
            raise ValueError(f"unknown mapping section {section!r}; one of {', '.join(SECTIONS)}")
        by_row_key = {  # one operation per row in a transaction (two keys may clean to one RowKey)
            safe_key(key): {
                "PartitionKey": section,
                "RowKey": safe_key(key),
                "Key": key,
                "Value": json.dumps(value) if isinstance(value, dict | list) else str(value),
            }
            for key, value in values.items()
        }
        rows = list(by_row_key.values())
        table = self.storage.table(tables.MAPPINGS)
        for start in range(0, len(rows), 100):
            table.submit_transaction(
                [("upsert", row, {"mode": UpdateMode.REPLACE}) for row in rows[start : start + 100]]
            )
        forget_cached(self.storage)

    def get(self, section: str, key: str) -> Any:
        """The override's value, or None when there is none."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            row = self.storage.table(tables.MAPPINGS).get_entity(section, safe_key(key))
        except ResourceNotFoundError:
            return None
        return _value(row.get("Value"))

    def delete(self, section: str, key: str) -> None:
        self.storage.table(tables.MAPPINGS).delete_entity(section, safe_key(key))
        forget_cached(self.storage)

    def list(self, section: str | None = None) -> list[dict[str, Any]]:
        query = "PartitionKey eq @s" if section else "PartitionKey ne ''"
        rows = self.storage.table(tables.MAPPINGS).query_entities(query, parameters={"s": section} if section else {})
        return [
            {"section": r["PartitionKey"], "key": r.get("Key") or r["RowKey"], "value": _value(r.get("Value"))}
            for r in rows
        ]
