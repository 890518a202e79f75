"""Customers (CustomersV3) and the simple setup entities (groups, modes of delivery, tax groups,
disposition codes, released products, tracking numbers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.emulators.d365.domain import Env, fail
from sandbox.emulators.d365.entities import EntitySet
from sandbox.emulators.d365.sales import customer_name
from sandbox.emulators.d365.store import Row
from sandbox.emulators.d365.wire import already_exists, must_be_filled, not_in_related

CUSTOMER = "CustTable"
_ADDRESS_PARTS = ("AddressStreet", "AddressCity", "AddressState", "AddressZipCode", "AddressCountryRegionId")


def _customer_checks(env: Env, es: EntitySet, row: Row) -> None:
    company = row["dataAreaId"]
    env.require(es, CUSTOMER, row, "CustomerGroupId", "SalesCurrencyCode")
    env.check_fk(
        es,
        CUSTOMER,
        row,
        "CustomerGroupId",
        env.store.get("CustGroup", (company, row["CustomerGroupId"])) is not None,
        "Customer groups",
    )
    if row.get("InvoiceAccount"):
        env.check_fk(
            es,
            CUSTOMER,
            row,
            "InvoiceAccount",
            env.customer(company, row["InvoiceAccount"]) is not None
            or str(row["InvoiceAccount"]).casefold() == str(row["CustomerAccount"]).casefold(),
            "Customers",
        )
    if row.get("AddressDescription") and not (
        row.get("AddressCountryRegionId") or row.get("AddressCountryRegionISOCode")
    ):
        raise must_be_filled(es.aot_entity, CUSTOMER, "Country/region")
    env.country(row, "AddressCountryRegionId", "AddressCountryRegionISOCode", es, CUSTOMER)
    env.check_common(es, CUSTOMER, row)


def create_customer(env: Env, es: EntitySet, row: Row) -> Row:
    company = row["dataAreaId"]
    account = row.get("CustomerAccount", "")
    if not account:
        if not env.config.customer_account_sequence:
            # Standard CustomersV3 does not pull the number sequence (reference §7.6).
            raise must_be_filled(es.aot_entity, CUSTOMER, "Customer account")
        row["CustomerAccount"] = env.store.next_number(
            company, "CustomerAccount", lambda n: env.customer(company, n) is not None
        )
    elif not env.manual_allowed("CustomerAccount"):
        raise fail(es, CUSTOMER, "Number sequence for 'Customer account' does not allow manual entry.")
    elif env.customer(company, account) is not None:
        raise already_exists(es.aot_entity, es.table_label, CUSTOMER, f"Customer account: {account}")
    row.setdefault("PartyType", "Organization")
    if row["PartyType"] == "Person":
        if not (row.get("PersonFirstName") or row.get("PersonMiddleName") or row.get("PersonLastName")):
            raise must_be_filled(es.aot_entity, CUSTOMER, "Last name")
    elif not row.get("OrganizationName"):
        raise must_be_filled(es.aot_entity, CUSTOMER, "Name")
    _customer_checks(env, es, row)
    env.store.sequences[("party", "PartyNumber")] = env.store.sequences.get(("party", "PartyNumber"), 0) + 1
    row.setdefault("PartyNumber", f"{env.store.sequences[('party', 'PartyNumber')]:09d}")
    row.setdefault("NameAlias", customer_name(row))
    row.setdefault("OnHoldStatus", "No")
    row.setdefault("CreditLimit", Decimal(0))
    if any(row.get(p) for p in _ADDRESS_PARTS):
        row.setdefault("AddressLocationRoles", "Business")
        row["FullPrimaryAddress"] = _full_address(row)
    return row


def _full_address(row: Row) -> str:
    city_line = " ".join(
        str(p)
        for p in (row.get("AddressCity", "") + ",", row.get("AddressState", ""), row.get("AddressZipCode", ""))
        if p and p != ","
    )
    parts = [row.get("AddressStreet", ""), city_line, row.get("AddressCountryRegionId", "")]
    return "\n".join(str(p) for p in parts if p)


def update_customer(env: Env, es: EntitySet, row: Row, changes: dict[str, Any]) -> dict[str, Any]:
    changes = {k: v for k, v in changes.items() if k not in ("PartyNumber",)}
    merged = {**row, **changes}
    _customer_checks(env, es, merged)
    if any(p in changes for p in _ADDRESS_PARTS):
        changes["FullPrimaryAddress"] = _full_address(merged)
    for name in ("AddressCountryRegionId", "AddressCountryRegionISOCode"):
        if merged.get(name) != row.get(name):
            changes[name] = merged[name]
    return changes


def delete_customer(env: Env, es: EntitySet, row: Row) -> None:
    company, account = row["dataAreaId"], row["CustomerAccount"]
    if env.store.find("SalesTable", dataAreaId=company, OrderingCustomerAccountNumber=account) is not None:
        raise fail(es, CUSTOMER, f"Customer {account} cannot be deleted while dependent sales orders exist.")


# ---- simple setup entities ----------------------------------------------------------------------
def create_simple(env: Env, es: EntitySet, row: Row) -> Row:
    """Key fields required, duplicate key rejected; nothing else to default."""
    for key in es.keys:
        if key != "dataAreaId" and not row.get(key):
            raise must_be_filled(es.aot_entity, es.table, key)
    if env.store.get(es.table, tuple(row.get(k) for k in es.keys)) is not None:
        title = ", ".join(str(row[k]) for k in es.keys if k != "dataAreaId")
        raise already_exists(es.aot_entity, es.table_label, es.table, f"{es.keys[-1]}: {title}")
    if es.name == "ReleasedProductsV2":
        row.setdefault("ProductType", "Item")
        row.setdefault("ProductNumber", row["ItemNumber"])
        row.setdefault("SalesUnitSymbol", "ea")
        row.setdefault("InventoryUnitSymbol", row["SalesUnitSymbol"])
        row.setdefault("SalesPriceQuantity", Decimal(1))
        env.check_fk(
            es,
            es.table,
            row,
            "SalesSalesTaxItemGroupCode",
            (row["dataAreaId"].casefold(), str(row.get("SalesSalesTaxItemGroupCode", "")).casefold())
            in env.store.setup.item_tax_groups,
            "Item sales tax groups",
        )
    if es.name == "PackingSlipTrackingInformation":
        if env.sales_order(row["dataAreaId"], row["SalesOrderNumber"]) is None:
            raise not_in_related(es.aot_entity, es.table, row["SalesOrderNumber"], "Sales order", "Sales orders")
    return row
