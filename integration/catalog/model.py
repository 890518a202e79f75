"""What the catalog sync reads from F&O, as typed values (field names: reference d365.md and
sandbox/emulators/d365/product_entities.py for their provenance).

* ``ReleasedProductsV2``: one row per released product; ``ProductSubType`` says whether it is a
  product master (variants below it) or a distinct product. Price is ``SalesPrice`` per
  ``SalesPriceQuantity`` units; weight is ``NetProductWeight`` + ``TareProductWeight``.
* ``ReleasedProductVariantsV2``: one row per variant of a product master, keyed by the master's
  product number and the five product dimensions; the variant shares the master's ``ItemNumber``.
* ``ProductTranslations``: product name and description per language.
* ``SalesPriceAgreements``: trade agreements (price per item, dimensions, customer group or
  account, currency, quantity range and dates).
* ``ProductBarcodesV3``: barcodes per item and product dimensions (F&O owns the variant barcode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# The product dimensions, in the order the inventory push joins them into a SKU (inventory/quantities.py).
DIMENSIONS = ("ProductColorId", "ProductConfigurationId", "ProductSizeId", "ProductStyleId", "ProductVersionId")
PRODUCT_FIELDS = (
    "ItemNumber",
    "ProductNumber",
    "ProductSubType",
    "ProductType",
    "SearchName",
    "ProductSearchName",
    "ProductLifecycleStateId",
    "SalesPrice",
    "SalesPriceQuantity",
    "NetProductWeight",
    "TareProductWeight",
    "SalesUnitSymbol",
)
VARIANT_FIELDS = ("ProductMasterNumber", "ItemNumber", "ProductVariantNumber", "ProductLifecycleStateId", *DIMENSIONS)
PRICE_FIELDS = (
    "RecordId",
    "ItemNumber",
    "ProductColorId",
    "ProductconfigurationId",  # sic: F&O's metadata spells this one with a lower-case c
    "ProductSizeId",
    "ProductStyleId",
    "ProductVersionId",
    "PriceCustomerGroupCode",
    "CustomerAccountNumber",
    "PriceCurrencyCode",
    "Price",
    "SalesPriceQuantity",
    "FromQuantity",
    "ToQuantity",
    "PriceApplicableFromDate",
    "PriceApplicableToDate",
)
BARCODE_FIELDS = (
    "ItemNumber",
    *DIMENSIONS,
    "BarcodeSetupId",
    "Barcode",
    "ProductQuantity",
    "IsDefaultDisplayedBarcode",
    "IsDefaultScannedBarcode",
)
EMPTY_DATE = datetime(1900, 1, 1, 12, tzinfo=UTC)


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None if parsed.year <= 1900 else parsed


def _dims(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row.get(d) or "") for d in DIMENSIONS)


@dataclass(frozen=True)
class FoProduct:
    item_number: str
    product_number: str
    is_master: bool
    product_type: str  # Item | Service
    search_name: str
    lifecycle_state: str
    sales_price: Decimal  # per sales_price_quantity units
    sales_price_quantity: Decimal
    net_weight: Decimal
    tare_weight: Decimal

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FoProduct:
        return cls(
            item_number=str(row.get("ItemNumber") or ""),
            product_number=str(row.get("ProductNumber") or row.get("ItemNumber") or ""),
            is_master=str(row.get("ProductSubType") or "") == "ProductMaster",
            product_type=str(row.get("ProductType") or "Item"),
            search_name=str(row.get("SearchName") or row.get("ProductSearchName") or ""),
            lifecycle_state=str(row.get("ProductLifecycleStateId") or ""),
            sales_price=_decimal(row.get("SalesPrice")),
            sales_price_quantity=_decimal(row.get("SalesPriceQuantity")),
            net_weight=_decimal(row.get("NetProductWeight")),
            tare_weight=_decimal(row.get("TareProductWeight")),
        )

    @property
    def unit_price(self) -> Decimal | None:
        if self.sales_price <= 0:
            return None
        per = self.sales_price_quantity if self.sales_price_quantity > 0 else Decimal(1)
        return (self.sales_price / per).quantize(Decimal("0.01"))

    @property
    def gross_weight(self) -> Decimal:
        return self.net_weight + self.tare_weight


@dataclass(frozen=True)
class FoVariant:
    item_number: str
    product_master_number: str
    variant_number: str
    lifecycle_state: str
    dimensions: tuple[str, ...]  # in DIMENSIONS order, "" when the dimension is not used

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FoVariant:
        return cls(
            item_number=str(row.get("ItemNumber") or ""),
            product_master_number=str(row.get("ProductMasterNumber") or ""),
            variant_number=str(row.get("ProductVariantNumber") or ""),
            lifecycle_state=str(row.get("ProductLifecycleStateId") or ""),
            dimensions=_dims(row),
        )


@dataclass(frozen=True)
class FoPrice:
    record_id: int
    item_number: str
    dimensions: tuple[str, ...]  # "" = any value of that dimension
    customer_group: str
    customer_account: str
    currency: str
    price: Decimal  # per price_quantity units
    price_quantity: Decimal
    from_quantity: Decimal
    to_quantity: Decimal
    valid_from: datetime | None
    valid_to: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> FoPrice:
        dims = {**row, "ProductConfigurationId": row.get("ProductconfigurationId", "")}
        return cls(
            record_id=int(row.get("RecordId") or 0),
            item_number=str(row.get("ItemNumber") or ""),
            dimensions=_dims(dims),
            customer_group=str(row.get("PriceCustomerGroupCode") or ""),
            customer_account=str(row.get("CustomerAccountNumber") or ""),
            currency=str(row.get("PriceCurrencyCode") or ""),
            price=_decimal(row.get("Price")),
            price_quantity=_decimal(row.get("SalesPriceQuantity")),
            from_quantity=_decimal(row.get("FromQuantity")),
            to_quantity=_decimal(row.get("ToQuantity")),
            valid_from=_date(row.get("PriceApplicableFromDate")),
            valid_to=_date(row.get("PriceApplicableToDate")),
        )

    @property
    def unit_price(self) -> Decimal:
        per = self.price_quantity if self.price_quantity > 0 else Decimal(1)
        return (self.price / per).quantize(Decimal("0.01"))

    def valid_on(self, when: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= when) and (self.valid_to is None or when <= self.valid_to)

    def applies_to(self, dimensions: tuple[str, ...]) -> bool:
        return all(not mine or mine == theirs for mine, theirs in zip(self.dimensions, dimensions, strict=True))

    @property
    def specificity(self) -> int:
        return sum(1 for d in self.dimensions if d)


@dataclass(frozen=True)
class Translation:
    product_number: str
    language: str
    name: str
    description: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Translation:
        return cls(
            product_number=str(row.get("ProductNumber") or ""),
            language=str(row.get("LanguageId") or "").casefold(),
            name=str(row.get("ProductName") or ""),
            description=str(row.get("Description") or ""),
        )


@dataclass(frozen=True)
class Barcode:
    """One ``ProductBarcodesV3`` row: a barcode of an item (and, for a variant, its product dimensions)."""

    item_number: str
    dimensions: tuple[str, ...]
    setup: str
    barcode: str
    quantity: Decimal
    displayed: bool
    scanned: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Barcode:
        return cls(
            item_number=str(row.get("ItemNumber") or ""),
            dimensions=_dims(row),
            setup=str(row.get("BarcodeSetupId") or ""),
            barcode=str(row.get("Barcode") or "").strip(),
            quantity=_decimal(row.get("ProductQuantity")),
            displayed=str(row.get("IsDefaultDisplayedBarcode") or "") == "Yes",
            scanned=str(row.get("IsDefaultScannedBarcode") or "") == "Yes",
        )


@dataclass
class FoCatalogEntry:
    """One F&O product with everything the mapping needs."""

    product: FoProduct
    variants: list[FoVariant] = field(default_factory=list)
    prices: list[FoPrice] = field(default_factory=list)
    translations: list[Translation] = field(default_factory=list)
    barcodes: list[Barcode] = field(default_factory=list)
