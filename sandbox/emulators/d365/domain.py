"""Shared business helpers: the environment every rule sees, money rounding, tax, countries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.emulators.d365.config import D365EmulatorConfig
from sandbox.emulators.d365.entities import EntitySet, entity_sets
from sandbox.emulators.d365.store import Row, Store
from sandbox.emulators.d365.wire import ODataError, must_be_filled, not_in_related, write_failed

CENT = Decimal("0.01")

# Field labels F&O prints in its Infolog messages.
LABELS = {
    "SalesOrderNumber": "Sales order",
    "ItemNumber": "Item number",
    "CustomerAccount": "Customer account",
    "OrderingCustomerAccountNumber": "Customer account",
    "InvoiceCustomerAccountNumber": "Invoice account",
    "CustomerAccountNumber": "Customer account",
    "CurrencyCode": "Currency",
    "SalesCurrencyCode": "Currency",
    "DeliveryModeCode": "Mode of delivery",
    "DeliveryMode": "Mode of delivery",
    "SalesTaxGroupCode": "Sales tax group",
    "SalesTaxGroup": "Sales tax group",
    "SalesTaxItemGroupCode": "Item sales tax group",
    "ShippingWarehouseId": "Warehouse",
    "DefaultShippingWarehouseId": "Warehouse",
    "ShippingSiteId": "Site",
    "DefaultShippingSiteId": "Site",
    "CustomerGroupId": "Customer group",
    "ReturnOrderNumber": "Return order",
    "ReturnWarehouseId": "Warehouse",
    "ReturnSiteId": "Site",
    "DefaultReturnWarehouseId": "Warehouse",
    "DefaultReturnSiteId": "Site",
    "ReturnDispositionCode": "Disposition code",
    "InvoiceAccount": "Invoice account",
    "ReturnSalesQuantity": "Quantity",
    "ModeCode": "Mode of delivery",
    "TaxGroupCode": "Sales tax group",
    "DispositionCode": "Disposition code",
    "CustomerGroupIdDescription": "Description",
}

# ISO 3166 alpha-2 -> F&O country/region id (alpha-3), for the countries a demo store sees.
COUNTRIES = {
    "US": "USA",
    "CA": "CAN",
    "MX": "MEX",
    "GB": "GBR",
    "IE": "IRL",
    "DE": "DEU",
    "FR": "FRA",
    "NL": "NLD",
    "BE": "BEL",
    "ES": "ESP",
    "IT": "ITA",
    "PT": "PRT",
    "AT": "AUT",
    "CH": "CHE",
    "DK": "DNK",
    "SE": "SWE",
    "NO": "NOR",
    "FI": "FIN",
    "PL": "POL",
    "CZ": "CZE",
    "AU": "AUS",
    "NZ": "NZL",
    "JP": "JPN",
    "CN": "CHN",
    "HK": "HKG",
    "SG": "SGP",
    "IN": "IND",
    "BR": "BRA",
    "AR": "ARG",
    "ZA": "ZAF",
    "AE": "ARE",
    "TW": "TWN",
}
ISO_OF = {v: k for k, v in COUNTRIES.items()}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def today() -> datetime:
    """Date-only fields are midday UTC in F&O payloads."""
    now = datetime.now(UTC)
    return now.replace(hour=12, minute=0, second=0, microsecond=0)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def days_from_today(days: int) -> datetime:
    return today() + timedelta(days=days)


@dataclass
class Env:
    """What a business rule needs: the state, the settings, the entity definitions."""

    store: Store
    config: D365EmulatorConfig

    @property
    def sets(self) -> dict[str, EntitySet]:
        return entity_sets()

    # ---- lookups ------------------------------------------------------------------------------
    def customer(self, company: str, account: str) -> Row | None:
        return self.store.get("CustTable", (company, account)) if account else None

    def item(self, company: str, item: str) -> Row | None:
        return self.store.get("InventTable", (company, item)) if item else None

    def sales_order(self, company: str, number: str) -> Row | None:
        return self.store.get("SalesTable", (company, number)) if number else None

    def order_lines(self, company: str, number: str) -> list[Row]:
        lines = list(self.store.scan("SalesLine", dataAreaId=company, SalesOrderNumber=number))
        return sorted(lines, key=lambda r: (r.get("LineNumber", 0), r.get("LineCreationSequenceNumber", 0)))

    def is_stocked(self, item: Row) -> bool:
        return item.get("ProductType", "Item") != "Service"

    def tax_rate(self, company: str, tax_group: str, item_tax_group: str) -> Decimal:
        # F&O taxes the intersection of the sales tax group and the item sales tax group: no item
        # group (or a non-taxable one) means no tax.
        if not tax_group or not item_tax_group:
            return Decimal(0)
        if not self.store.setup.item_tax_groups.get((company.casefold(), item_tax_group.casefold()), False):
            return Decimal(0)
        return self.store.setup.tax_rates.get((company.casefold(), tax_group.casefold()), Decimal(0))

    def manual_allowed(self, sequence: str) -> bool:
        return self.store.setup.manual_numbers.get(sequence, True)

    # ---- validation helpers -------------------------------------------------------------------
    def require(self, es: EntitySet, table: str, row: Row, *names: str) -> None:
        for name in names:
            if not row.get(name):
                raise must_be_filled(es.aot_entity, table, LABELS.get(name, name))

    def check_fk(self, es: EntitySet, table: str, row: Row, name: str, exists: bool, related: str) -> None:
        if row.get(name) and not exists:
            raise not_in_related(es.aot_entity, table, str(row[name]), LABELS.get(name, name), related)

    def check_common(self, es: EntitySet, table: str, row: Row) -> None:
        """Foreign keys shared by many entities, checked when the field is set."""
        company = row["dataAreaId"]
        setup = self.store.setup
        for name in ("CurrencyCode", "SalesCurrencyCode"):
            self.check_fk(es, table, row, name, str(row.get(name, "")).upper() in setup.currencies, "Currencies")
        for name in ("DeliveryModeCode", "DeliveryMode"):
            self.check_fk(
                es,
                table,
                row,
                name,
                self.store.get("DlvMode", (company, row.get(name, ""))) is not None,
                "Modes of delivery",
            )
        for name in ("SalesTaxGroupCode", "SalesTaxGroup"):
            self.check_fk(
                es,
                table,
                row,
                name,
                self.store.get("TaxGroupHeading", (company, row.get(name, ""))) is not None,
                "Sales tax groups",
            )
        self.check_fk(
            es,
            table,
            row,
            "SalesTaxItemGroupCode",
            (company.casefold(), str(row.get("SalesTaxItemGroupCode", "")).casefold()) in setup.item_tax_groups,
            "Item sales tax groups",
        )

    def site_and_warehouse(self, es: EntitySet, table: str, row: Row, site_field: str, wh_field: str) -> None:
        """Validate a site/warehouse pair and default the site from the warehouse."""
        company = row["dataAreaId"].casefold()
        setup = self.store.setup
        wh = str(row.get(wh_field, ""))
        if wh:
            site = setup.warehouses.get((company, wh.casefold()))
            if site is None:
                raise not_in_related(es.aot_entity, table, wh, "Warehouse", "Warehouses")
            if not row.get(site_field):
                row[site_field] = site
            elif str(row[site_field]).casefold() != site.casefold():
                raise write_failed(
                    es.aot_entity, f"Warehouse {wh} is not connected to site {row[site_field]}.", table=table
                )
        site_value = str(row.get(site_field, ""))
        if site_value and (company, site_value.casefold()) not in setup.sites:
            raise not_in_related(es.aot_entity, table, site_value, "Site", "Sites")

    def country(self, row: Row, id_field: str, iso_field: str, es: EntitySet, table: str) -> None:
        """Fill the 3-letter id from the ISO code (or back) as F&O resolves either one."""
        cid, iso = str(row.get(id_field, "")), str(row.get(iso_field, ""))
        if not cid and iso:
            if iso.upper() not in COUNTRIES:
                raise not_in_related(es.aot_entity, table, iso, "ISO code", "Country/region")
            row[id_field] = COUNTRIES[iso.upper()]
        elif cid:
            if cid.upper() not in ISO_OF:
                raise not_in_related(es.aot_entity, table, cid, "Country/region", "Country/region")
            row[id_field] = cid.upper()
            row.setdefault(iso_field, ISO_OF[cid.upper()])
            if not row.get(iso_field):
                row[iso_field] = ISO_OF[cid.upper()]


def fail(es: EntitySet, table: str, message: str) -> ODataError:
    return write_failed(es.aot_entity, message, table=table)


def decimal(row: Row, name: str) -> Decimal:
    value: Any = row.get(name, 0)
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))
