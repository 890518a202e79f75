"""Entity-set definitions of the emulated F&O OData service.

Names, keys, field names and Edm types come from ``catalog.json`` (a subset of the real-metadata
catalog in ``sandbox/samples/d365/catalog``); this module adds what the catalog does not carry: the
singular entity-type names, the AOT entity and table names used in real error messages, the
navigation properties we serve, and the F&O value conventions (``""`` for empty strings, ``0`` for
numbers, ``1900-01-01T12:00:00Z`` for empty dates, enum member names).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.emulators.d365 import payment_catalog, product_entities

NAMESPACE = "Microsoft.Dynamics.DataEntities"
EMPTY_DATE = datetime(1900, 1, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Field:
    name: str
    edm: str  # Edm.String, Edm.Decimal, ... or "enum"
    enum: str = ""  # enum type name when edm == "enum"

    @property
    def type_name(self) -> str:
        return f"{NAMESPACE}.{self.enum}" if self.enum else self.edm


@dataclass(frozen=True)
class Navigation:
    name: str
    target: str  # entity set
    many: bool
    # (field on this side, field on the target side) pairs that join the two
    join: tuple[tuple[str, str], ...]


@dataclass
class EntitySet:
    name: str
    type_name: str  # singular entity type, e.g. SalesOrderHeaderV2
    aot_entity: str  # used in "Write failed for table row of type '<aot_entity>'"
    table: str  # storage table (several sets can be views over one table) and Infolog table name
    table_label: str  # "Cannot create a record in <label> (<table>)"
    keys: list[str]
    fields: dict[str, Field]
    read_only: bool = False
    navigations: dict[str, Navigation] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)  # field -> value served when never set

    def field(self, name: str) -> Field | None:
        return self.fields.get(name)


# set name -> (entity type, AOT entity, storage table, table label, read-only)
_SETS: dict[str, tuple[str, str, str, str, bool]] = {
    "SalesOrderHeadersV2": ("SalesOrderHeaderV2", "SalesOrderHeaderV2Entity", "SalesTable", "Sales orders", False),
    "SalesOrderLines": ("SalesOrderLine", "SalesOrderLineV2Entity", "SalesLine", "Order lines", False),
    "CustomersV3": ("CustomerV3", "CustCustomerV3Entity", "CustTable", "Customers", False),
    "CustomerGroups": ("CustomerGroup", "CustCustomerGroupEntity", "CustGroup", "Customer groups", False),
    "ReleasedProductsV2": ("ReleasedProductV2", "EcoResReleasedProductV2Entity", "InventTable", "Items", False),
    "WarehousesOnHandV2": ("WarehousesOnHandV2", "InventWarehouseOnHandV2Entity", "InventSum", "On-hand", True),
    "SalesInvoiceHeadersV2": (
        "SalesInvoiceHeaderV2",
        "SalesInvoiceHeaderV2Entity",
        "CustInvoiceJour",
        "Customer invoice journal",
        True,
    ),
    "SalesInvoiceV2Lines": (
        "SalesInvoiceV2Line",
        "SalesInvoiceLineV2Entity",
        "CustInvoiceTrans",
        "Customer invoice lines",
        True,
    ),
    "ReturnOrderHeaders": ("ReturnOrderHeader", "ReturnOrderHeaderEntity", "ReturnTable", "Sales orders", False),
    "ReturnOrderHeadersV2": ("ReturnOrderHeaderV2", "ReturnOrderHeaderV2Entity", "ReturnTable", "Sales orders", False),
    "ReturnOrderLines": ("ReturnOrderLine", "ReturnOrderLineEntity", "ReturnLine", "Order lines", False),
    "ReturnOrderLinesV2": ("ReturnOrderLineV2", "ReturnOrderLineV2Entity", "ReturnLine", "Order lines", False),
    "ReturnDispositionCodes": (
        "ReturnDispositionCode",
        "ReturnDispositionCodeEntity",
        "ReturnDispositionCode",
        "Disposition codes",
        False,
    ),
    "PackingSlipTrackingInformation": (
        "PackingSlipTrackingInformation",
        "PackingSlipTrackingInformationEntity",
        "PackingSlipTracking",
        "Tracking numbers",
        False,
    ),
    "CustPackingSlipJourBiEntities": (
        "CustPackingSlipJourBiEntity",
        "CustPackingSlipJourBiEntity",
        "CustPackingSlipJour",
        "Packing slip journal",
        True,
    ),
    "CustPackingSlipTransBiEntities": (
        "CustPackingSlipTransBiEntity",
        "CustPackingSlipTransBiEntity",
        "CustPackingSlipTrans",
        "Packing slip lines",
        True,
    ),
    "DeliveryModesV2": ("DeliveryModeV2", "DlvModeV2Entity", "DlvMode", "Modes of delivery", False),
    "TaxGroups": ("TaxGroup", "TaxGroupEntity", "TaxGroupHeading", "Sales tax groups", False),
    **payment_catalog.SETS,
    "SequenceV2Tables": (
        "SequenceV2Table",
        "NumberSequenceTableV2Entity",
        "NumberSequenceTable",
        "Number sequences",
        True,
    ),
    "NumberSequencesV2References": (
        "NumberSequencesV2Reference",
        "NumberSequenceReferenceV2Entity",
        "NumberSequenceReference",
        "Number sequence references",
        True,
    ),
}

_ORDER = (("dataAreaId", "dataAreaId"), ("SalesOrderNumber", "SalesOrderNumber"))
_RETURN = (("dataAreaId", "dataAreaId"), ("ReturnOrderNumber", "ReturnOrderNumber"))
_INVOICE = (
    ("dataAreaId", "dataAreaId"),
    ("InvoiceNumber", "InvoiceNumber"),
    ("InvoiceDate", "InvoiceDate"),
    ("LedgerVoucher", "LedgerVoucher"),
)
_NAVIGATIONS: dict[str, list[Navigation]] = {
    "SalesOrderHeadersV2": [Navigation("SalesOrderLines", "SalesOrderLines", True, _ORDER)],
    "SalesOrderLines": [Navigation("SalesOrderHeaderV2", "SalesOrderHeadersV2", False, _ORDER)],
    "ReturnOrderHeaders": [Navigation("ReturnOrderLines", "ReturnOrderLines", True, _RETURN)],
    "ReturnOrderHeadersV2": [Navigation("ReturnOrderLines", "ReturnOrderLinesV2", True, _RETURN)],
    "ReturnOrderLines": [Navigation("ReturnOrderHeader", "ReturnOrderHeaders", False, _RETURN)],
    "ReturnOrderLinesV2": [Navigation("ReturnOrderHeader", "ReturnOrderHeadersV2", False, _RETURN)],
    "SalesInvoiceHeadersV2": [Navigation("SalesInvoiceLinesV2", "SalesInvoiceV2Lines", True, _INVOICE)],
    "SalesInvoiceV2Lines": [Navigation("SalesInvoiceHeaderV2", "SalesInvoiceHeadersV2", False, _INVOICE)],
}


@cache
def catalog() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "catalog.json").read_text(encoding="utf-8"))


@cache
def enums() -> dict[str, list[tuple[str, int]]]:
    """Enum type -> [(member, value)]; values missing in the source are numbered in order."""
    out: dict[str, list[tuple[str, int]]] = {}
    for name, members in (payment_catalog.catalog_enums() | catalog()["enums"]).items():
        out[name] = [(m, v if v is not None else i) for i, (m, v) in enumerate(members)]
    return out


@cache
def entity_sets() -> dict[str, EntitySet]:
    raw = catalog()["entity_sets"] | payment_catalog.catalog_entries() | product_entities.RAW
    sets: dict[str, EntitySet] = {}
    for name, (type_name, aot, table, label, read_only) in {**_SETS, **product_entities.SETS}.items():
        fields: dict[str, Field] = {}
        for fname, ftype in raw[name]["fields"]:
            if ftype.startswith("enum:"):
                fields[fname] = Field(fname, "enum", ftype[5:])
            else:
                fields[fname] = Field(fname, ftype)
        navs = {n.name: n for n in _NAVIGATIONS.get(name, [])}
        sets[name] = EntitySet(
            name,
            type_name,
            aot,
            table,
            label,
            list(raw[name]["keys"]),
            fields,
            read_only,
            navs,
            {n: default_value(f) for n, f in fields.items()},
        )
    return sets


@cache
def default_value(f: Field) -> Any:
    """The value F&O returns for a field nobody set (never null for these types)."""
    if f.edm == "enum":
        members = enums().get(f.enum) or [("None", 0)]
        return members[0][0]
    return {
        "Edm.String": "",
        "Edm.Decimal": Decimal(0),
        "Edm.Int32": 0,
        "Edm.Int64": 0,
        "Edm.Double": 0.0,
        "Edm.DateTimeOffset": EMPTY_DATE,
        "Edm.Guid": "00000000-0000-0000-0000-000000000000",
        "Edm.Boolean": False,
    }.get(f.edm, "")


def to_wire(value: Any) -> Any:
    """Python value -> JSON-ready value (Decimal stays Decimal: the JSON writer keeps it exact)."""
    if isinstance(value, datetime):
        return format_date(value)
    return value


_EMPTY_DATE_TEXT = "1900-01-01T12:00:00Z"


def format_date(value: datetime) -> str:
    if value == EMPTY_DATE:
        return _EMPTY_DATE_TEXT
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class CoercionError(ValueError):
    pass


def coerce(f: Field, value: Any) -> Any:
    """A JSON value from a request body -> the stored Python value of field ``f``."""
    if value is None:
        return default_value(f)
    if f.edm == "enum":
        members = [m for m, _ in enums().get(f.enum, [])]
        if isinstance(value, str) and (not members or value in members):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            for m, v in enums().get(f.enum, []):
                if v == value:
                    return m
        raise CoercionError(f"The value '{value}' is not a valid member of enum '{f.enum}'.")
    if f.edm == "Edm.String":
        if not isinstance(value, str):
            raise CoercionError(
                f"Cannot convert a primitive value to the expected type 'Edm.String'. Property '{f.name}'."
            )
        return value
    if f.edm == "Edm.Decimal":
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise CoercionError(f"Cannot convert the literal '{value}' to the expected type 'Edm.Decimal'.")
        try:
            return Decimal(str(value))
        except ArithmeticError as exc:
            raise CoercionError(f"Cannot convert the literal '{value}' to the expected type 'Edm.Decimal'.") from exc
    if f.edm in ("Edm.Int32", "Edm.Int64"):
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or int(value) != value:
            raise CoercionError(f"Cannot convert the literal '{value}' to the expected type '{f.edm}'.")
        return int(value)
    if f.edm == "Edm.DateTimeOffset":
        try:
            return parse_date(str(value))
        except ValueError as exc:
            raise CoercionError(
                f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTimeOffset'."
            ) from exc
    return value
