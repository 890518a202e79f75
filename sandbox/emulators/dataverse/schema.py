"""The tables the Dataverse emulator serves, with the columns of Dataverse's published entity
reference (learn.microsoft.com/power-apps/developer/data-platform/reference/entities/<table> and
.../dynamics365/sales/developer/entities/salesorder, salesorderdetail; provenance in
docs/flows/crm.md) plus the custom columns and alternate keys the CRM flow documents as a
prerequisite (publisher prefix ``shop_`` by default).

Only what the integration and its tests use is modelled; a column not listed here is refused with
Dataverse's 400, so a typo in the mapping fails in tests, not in production.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ADDRESS = ("line1", "line2", "line3", "city", "stateorprovince", "postalcode", "country", "telephone1", "name")


@dataclass(frozen=True)
class Table:
    logical: str
    entity_set: str
    primary_id: str
    columns: frozenset[str]
    # navigation property (as written in ``<nav>@odata.bind``) -> (lookup column, target entity set)
    lookups: dict[str, tuple[str, str]] = field(default_factory=dict)
    keys: tuple[tuple[str, ...], ...] = ()  # alternate keys
    read_only: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()


def tables(prefix: str = "shop_") -> dict[str, Table]:
    p = prefix
    contact_cols = {
        "firstname",
        "lastname",
        "fullname",
        "emailaddress1",
        "telephone1",
        "mobilephone",
        "description",
        "statecode",
        "statuscode",
        *(f"address1_{a}" for a in ADDRESS),
        f"{p}shopifycustomerid",
    }
    account_cols = {
        "name",
        "emailaddress1",
        "telephone1",
        "description",
        "statecode",
        "statuscode",
        *(f"address1_{a}" for a in ADDRESS),
        f"{p}shopifycompanyid",
    }
    order_cols = {
        "name",
        "ordernumber",
        "description",
        "freightamount",
        "discountamount",
        "discountpercentage",
        "totalamount",
        "totaltax",
        "totallineitemamount",
        "totaldiscountamount",
        "totallineitemdiscountamount",
        "statecode",
        "statuscode",
        "datefulfilled",
        "ispricelocked",
        *(f"shipto_{a}" for a in ADDRESS if a != "telephone1"),
        *(f"billto_{a}" for a in ADDRESS if a != "telephone1"),
        f"{p}shopifyorderid",
        f"{p}shopifyordername",
        f"{p}fosalesorderid",
        f"{p}trackingnumbers",
        f"{p}refundedamount",
        f"{p}creditnotes",
        f"{p}invoicenumbers",
    }
    detail_cols = {
        "isproductoverridden",
        "ispriceoverridden",
        "productdescription",
        "priceperunit",
        "quantity",
        "manualdiscountamount",
        "tax",
        "description",
        "lineitemnumber",
        "baseamount",
        "extendedamount",
        f"{p}shopifylineid",
    }
    return {
        t.entity_set: t
        for t in (
            Table(
                "contact",
                "contacts",
                "contactid",
                frozenset(contact_cols),
                {"parentcustomerid_account": ("parentcustomerid", "accounts")},
                ((f"{p}shopifycustomerid",),),
                frozenset({"fullname"}),
            ),
            Table(
                "account",
                "accounts",
                "accountid",
                frozenset(account_cols),
                {"primarycontactid": ("primarycontactid", "contacts")},
                ((f"{p}shopifycompanyid",),),
                required=("name",),
            ),
            Table(
                "salesorder",
                "salesorders",
                "salesorderid",
                frozenset(order_cols),
                {
                    "customerid_contact": ("customerid", "contacts"),
                    "customerid_account": ("customerid", "accounts"),
                    "transactioncurrencyid": ("transactioncurrencyid", "transactioncurrencies"),
                    "pricelevelid": ("pricelevelid", "pricelevels"),
                },
                ((f"{p}shopifyorderid",),),
                frozenset(
                    {
                        "ordernumber",
                        "totalamount",
                        "totaltax",
                        "totallineitemamount",
                        "totaldiscountamount",
                        "totallineitemdiscountamount",
                    }
                ),
                required=("name", "customerid"),
            ),
            Table(
                "salesorderdetail",
                "salesorderdetails",
                "salesorderdetailid",
                frozenset(detail_cols),
                {
                    "salesorderid": ("salesorderid", "salesorders"),
                    "productid": ("productid", "products"),
                    "uomid": ("uomid", "uoms"),
                },
                ((f"{p}shopifylineid",),),
                frozenset({"baseamount", "extendedamount"}),
                required=("salesorderid", "quantity"),
            ),
            Table(
                "product",
                "products",
                "productid",
                frozenset({"name", "productnumber", "statecode", "statuscode"}),
                {"defaultuomid": ("defaultuomid", "uoms")},
                (("productnumber",),),
            ),
            Table("uom", "uoms", "uomid", frozenset({"name"})),
            Table("pricelevel", "pricelevels", "pricelevelid", frozenset({"name"})),
            Table(
                "transactioncurrency",
                "transactioncurrencies",
                "transactioncurrencyid",
                frozenset({"isocurrencycode", "currencyname", "currencysymbol", "exchangerate"}),
            ),
            Table(
                "annotation",
                "annotations",
                "annotationid",
                frozenset({"subject", "notetext"}),
                {
                    "objectid_salesorder": ("objectid", "salesorders"),
                    "objectid_contact": ("objectid", "contacts"),
                },
            ),
        )
    }


# salesorder statecode -> the statuscodes valid in it (Dataverse's salesorder StateCode/StatusCode
# choices: Active 0 {1 New, 2 Pending}, Submitted 1 {3 In Progress}, Canceled 2 {4 No Money},
# Fulfilled 3 {100001 Complete, 100002 Partial}, Invoiced 4 {100003 Invoiced}).
ORDER_STATUSES = {0: {1, 2}, 1: {3}, 2: {4}, 3: {100001, 100002}, 4: {100003}}
DEFAULT_STATUS = {0: 1, 1: 3, 2: 4, 3: 100001, 4: 100003}
CLOSED_ORDER_STATES = frozenset({2, 3, 4})
ACTION_CLOSED_STATES = frozenset({2, 3})  # Canceled, Fulfilled: only through their close actions
