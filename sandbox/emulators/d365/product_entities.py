"""The product-master entity sets the catalog sync reads, beyond ``ReleasedProductsV2`` (which is
in ``catalog.json``): released product variants, product translations and sales trade agreements.

Provenance (field names and keys, as F&O's $metadata publishes them):

* ``ReleasedProductVariantsV2`` (AOT ``EcoResReleasedProductVariantV2Entity``): keys and fields
  from the SAP Cloud SDK client generated from a real F&O $metadata (ntrtd/d365-agent,
  ``asset/client/src/ReleasedProductVariantsV2.ts`` and its request builder, April 2025); the
  entity/set pair is listed in Microsoft's "CLM integration" entity table.
* ``ProductTranslations`` (AOT ``EcoResProductTranslationEntity``): Microsoft's Common Data Model
  page for the entity (MicrosoftDocs/common-data-model-and-service,
  ``.../ProductInformationManagement/EcoResProductTranslationEntity.md``): ProductNumber,
  LanguageId, ProductName, Description. The entity is shared (no company); the emulator stores it
  per company like every set, so the client reads it with ``cross-company=true``, which works on both.
* ``SalesPriceAgreements`` (AOT ``PriceDiscSalesPriceAgreementEntity``): the same SAP Cloud SDK
  client (``SalesPriceAgreements.ts``), including F&O's own spelling ``ProductconfigurationId``.

* ``ProductBarcodesV3``: keys and fields from the same SAP Cloud SDK client (``ProductBarcodesV3.ts``,
  commit 0a4c110), cross-checked with Hexalith's F&O client record ``ProductBarcode.cs`` (same field
  names); the storage table ``InventItemBarcode`` is F&O's; the AOT entity name is not published there
  and is the emulator's reading.

``entities.py`` merges these into the served entity sets.
"""

from __future__ import annotations

from typing import Any

_S, _D, _T, _I32, _I64 = "Edm.String", "Edm.Decimal", "Edm.DateTimeOffset", "Edm.Int32", "Edm.Int64"
_NOYES = "enum:NoYes"

# set name -> (entity type, AOT entity, storage table, table label, read-only)
SETS: dict[str, tuple[str, str, str, str, bool]] = {
    "ReleasedProductVariantsV2": (
        "ReleasedProductVariantV2",
        "EcoResReleasedProductVariantV2Entity",
        "InventDimCombination",
        "Released product variants",
        False,
    ),
    "ProductTranslations": (
        "ProductTranslation",
        "EcoResProductTranslationEntity",
        "EcoResProductTranslation",
        "Product translations",
        False,
    ),
    "ProductBarcodesV3": (
        "ProductBarcodeV3",
        "EcoResProductBarcodeV3Entity",
        "InventItemBarcode",
        "Item - bar code",
        False,
    ),
    "SalesPriceAgreements": (
        "SalesPriceAgreement",
        "PriceDiscSalesPriceAgreementEntity",
        "PriceDiscTable",
        "Trade agreements",
        False,
    ),
}

RAW: dict[str, dict[str, Any]] = {
    "ReleasedProductVariantsV2": {
        "keys": [
            "dataAreaId",
            "ProductMasterNumber",
            "ProductConfigurationId",
            "ProductSizeId",
            "ProductColorId",
            "ProductStyleId",
            "ProductVersionId",
        ],
        "fields": [
            ["dataAreaId", _S],
            ["ProductMasterNumber", _S],
            ["ProductConfigurationId", _S],
            ["ProductSizeId", _S],
            ["ProductColorId", _S],
            ["ProductStyleId", _S],
            ["ProductVersionId", _S],
            ["ItemNumber", _S],
            ["ProductLifecycleStateId", _S],
            ["ProductDescription", _S],
            ["SalesSalesTaxItemGroupCode", _S],
            ["ProductName", _S],
            ["PurchaseSalesTaxItemGroupCode", _S],
            ["ProductVariantNumber", _S],
            ["ProductSearchName", _S],
        ],
    },
    "ProductTranslations": {
        "keys": ["ProductNumber", "LanguageId"],
        "fields": [["ProductNumber", _S], ["LanguageId", _S], ["ProductName", _S], ["Description", _S]],
    },
    "ProductBarcodesV3": {
        "keys": [
            "dataAreaId",
            "ItemNumber",
            "ProductConfigurationId",
            "ProductColorId",
            "ProductSizeId",
            "ProductStyleId",
            "ProductVersionId",
            "ProductQuantityUnitSymbol",
            "BarcodeSetupId",
            "Barcode",
        ],
        "fields": [
            ["dataAreaId", _S],
            ["ItemNumber", _S],
            ["ProductConfigurationId", _S],
            ["ProductColorId", _S],
            ["ProductSizeId", _S],
            ["ProductStyleId", _S],
            ["ProductVersionId", _S],
            ["ProductQuantityUnitSymbol", _S],
            ["BarcodeSetupId", _S],
            ["Barcode", _S],
            ["ProductDescription", _S],
            ["IsDefaultScannedBarcode", _NOYES],
            ["IsDefaultDisplayedBarcode", _NOYES],
            ["IsDefaultPrintedBarcode", _NOYES],
            ["ProductQuantity", _D],
        ],
    },
    "SalesPriceAgreements": {
        "keys": ["dataAreaId", "RecordId"],
        "fields": [
            ["dataAreaId", _S],
            ["RecordId", _I64],
            ["PriceApplicableFromDate", _T],
            ["WillSearchContinue", _NOYES],
            ["SalesPriceQuantity", _D],
            ["QuantityUnitySymbol", _S],
            ["ProductNumber", _S],
            ["AttributeBasedPricingId", _S],
            ["ProductSizeId", _S],
            ["ItemNumber", _S],
            ["ProductVersionId", _S],
            ["PriceCurrencyCode", _S],
            ["ToQuantity", _D],
            ["FixedPriceCharges", _D],
            ["WillDeliveryDateControlDisregardLeadTime", _NOYES],
            ["PriceWarehouseId", _S],
            ["PriceApplicableToDate", _T],
            ["SalesLeadTimeDays", _I32],
            ["FromQuantity", _D],
            ["CustomerAccountNumber", _S],
            ["PriceCustomerGroupCode", _S],
            ["Price", _D],
            ["PriceSiteId", _S],
            ["IsGenericCurrencySearchEnabled", _NOYES],
            ["ProductColorId", _S],
            ["ProductconfigurationId", _S],
            ["ProductStyleId", _S],
        ],
    },
}
