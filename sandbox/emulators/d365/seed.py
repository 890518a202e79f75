"""Demo data: legal entity usmf (plus usrt to show cross-company), customers, released products
(the SKUs of the public Shopify sample orders and a few USMF-style items), the non-stock service
item FREIGHT, sites/warehouses, modes of delivery, sales tax groups, disposition codes, on-hand."""

from __future__ import annotations

from decimal import Decimal

from sandbox.emulators.d365 import documents
from sandbox.emulators.d365.customers import create_customer
from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.store import Row

D = Decimal

COMPANIES = ("usmf", "usrt")
CURRENCIES = ("USD", "CAD", "EUR", "GBP", "AUD", "MXN", "JPY")
SITES = {"1": "Site 1 (Main)", "2": "Site 2 (East)"}
WAREHOUSES = {"11": "1", "12": "1", "21": "2"}
TAX_GROUPS = {
    "CA": ("California sales tax", D("0.0725")),
    "NY": ("New York sales tax", D("0.08875")),
    "WA": ("Washington sales tax", D("0.065")),
    "TX": ("Texas sales tax", D("0.0625")),
    "EXEMPT": ("Tax exempt", D(0)),
}
ITEM_TAX_GROUPS = {"ALL": True, "FREIGHT": True, "EXEMPT": False}
DELIVERY_MODES = {
    "GROUND": "FedEx Ground",
    "HOME": "FedEx Home Delivery",
    "2DAY": "FedEx 2Day",
    "OVERNIGHT": "FedEx Priority Overnight",
    "STDOVNIGHT": "FedEx Standard Overnight",
    "EXPSAVER": "FedEx Express Saver",
    "INTLPRIO": "FedEx International Priority",
    "INTLECON": "FedEx International Economy",
    "STANDARD": "Standard shipping",
    "PICKUP": "Customer pickup",
}
CUSTOMER_GROUPS = {
    "10": "Wholesales customers",
    "20": "Major customers",
    "30": "Retail customers",
    "80": "Other customers",
}
DISPOSITIONS = {"Credit": "Credit", "CreditOnly": "CreditOnly", "Scrap": "Scrap", "ReplaceCredit": "ReplaceCredit"}
# (item, name, price, type, item tax group, weight lb)
ITEMS = [
    ("IPOD2008GREEN", "IPod Nano - 8gb green", D("199.00"), "Item", "ALL", D("0.3")),
    ("IPOD2008BLACK", "IPod Nano - 8gb black", D("199.00"), "Item", "ALL", D("0.3")),
    ("IPOD2008RED", "IPod Nano - 8gb red", D("199.00"), "Item", "ALL", D("0.3")),
    ("SNOWBOARD-GREEN", "Green Snowboard", D("249.95"), "Item", "ALL", D("8.5")),
    ("TSHIRT-1", "T-shirt 1", D("19.99"), "Item", "ALL", D("0.4")),
    ("A0001", "HDMI 6' Cables", D("14.99"), "Item", "ALL", D("0.5")),
    ("D0001", "MidRangeSpeaker2", D("220.00"), "Item", "ALL", D("12")),
    ("L0001", "Mid-Range Speaker", D("150.00"), "Item", "ALL", D("10")),
    ("P0001", "Surround Sound Receiver", D("399.00"), "Item", "ALL", D("15")),
    ("FREIGHT", "Freight", D("0"), "Service", "FREIGHT", D("0")),
]
CUSTOMERS = [
    # account, first, last, org, email, phone, street, city, state, zip, tax group
    (
        "US-001",
        "",
        "",
        "Contoso Retail San Diego",
        "contoso.sd@example.com",
        "+1 619 555 0101",
        "123 Coffee Street",
        "San Diego",
        "CA",
        "92101",
        "CA",
    ),
    (
        "US-002",
        "Jane",
        "Doe",
        "",
        "jane.doe@example.com",
        "+1 212 555 0102",
        "1 Main St",
        "New York",
        "NY",
        "10001",
        "NY",
    ),
    (
        "US-003",
        "Bob",
        "Norman",
        "",
        "bob.norman@mail.example.com",
        "+1 555 555 5555",
        "Chestnut Street 92",
        "Louisville",
        "KY",
        "40202",
        "",
    ),
    ("WEB-GUEST", "", "", "Web shop guest customer", "", "", "", "", "", "", ""),
]


def seed(env: Env) -> None:
    store = env.store
    setup = store.setup
    setup.companies.update(COMPANIES)
    setup.currencies.update(CURRENCIES)
    setup.manual_numbers.update(env.config.manual_numbers)
    for company in COMPANIES:
        for site, name in SITES.items():
            setup.sites[(company, site.casefold())] = name
        for warehouse, site in WAREHOUSES.items():
            setup.warehouses[(company, warehouse.casefold())] = site
        for code, (description, rate) in TAX_GROUPS.items():
            add_tax_group(env, company, code, description, rate)
        for code, taxable in ITEM_TAX_GROUPS.items():
            setup.item_tax_groups[(company, code.casefold())] = taxable
        for code, description in DELIVERY_MODES.items():
            store.insert("DlvMode", {"dataAreaId": company, "ModeCode": code, "ModeDescription": description})
        for code, description in CUSTOMER_GROUPS.items():
            store.insert(
                "CustGroup",
                {
                    "dataAreaId": company,
                    "CustomerGroupId": code,
                    "Description": description,
                    "PaymentTermId": "Net30",
                    "IsSalesTaxIncludedInPrice": "No",
                },
            )
        for code, action in DISPOSITIONS.items():
            store.insert(
                "ReturnDispositionCode",
                {
                    "dataAreaId": company,
                    "DispositionCode": code,
                    "DispositionDescription": code,
                    "DispositionAction": action,
                },
            )
        for item, name, price, kind, tax_group, weight in ITEMS:
            add_item(env, company, item, name, price, kind, tax_group, weight)
            if kind == "Item":
                for warehouse, site in WAREHOUSES.items():
                    documents.set_on_hand(
                        env, company, item, site, warehouse, OnHandQuantity=D(1000) if warehouse == "11" else D(100)
                    )
    for values in CUSTOMERS:
        add_customer(env, "usmf", *values)
    add_customer(
        env,
        "usrt",
        "US-RT-001",
        "",
        "",
        "Retail Store 1",
        "store1@example.com",
        "",
        "5 Market St",
        "Seattle",
        "WA",
        "98101",
        "WA",
    )


def add_tax_group(env: Env, company: str, code: str, description: str, rate: Decimal) -> None:
    key = (company, code)
    row = env.store.get("TaxGroupHeading", key)
    if row is None:
        env.store.insert("TaxGroupHeading", {"dataAreaId": company, "TaxGroupCode": code, "Description": description})
    env.store.setup.tax_rates[(company.casefold(), code.casefold())] = rate


def add_item(
    env: Env,
    company: str,
    item: str,
    name: str,
    price: Decimal,
    kind: str = "Item",
    tax_group: str = "ALL",
    weight: Decimal = D(0),
    **extra: object,
) -> Row:
    row = {
        "dataAreaId": company,
        "ItemNumber": item,
        "ProductNumber": item,
        "SearchName": name,
        "ProductSearchName": name,
        "SalesPrice": price,
        "SalesPriceQuantity": D(1),
        "SalesUnitSymbol": "ea",
        "InventoryUnitSymbol": "ea",
        "PurchaseUnitSymbol": "ea",
        "ProductType": kind,
        "ProductSubType": "Product",
        "SalesSalesTaxItemGroupCode": tax_group,
        "ItemModelGroupId": "FIFO" if kind == "Item" else "SERV",
        "StorageDimensionGroupName": "SiteWH" if kind == "Item" else "",
        "NetProductWeight": weight,
        "GrossProductHeight": D(0),
        **extra,
    }
    existing = env.store.get("InventTable", (company, item))
    if existing is not None:
        env.store.update("InventTable", existing, row)
        return existing
    return env.store.insert("InventTable", row)


def add_customer(
    env: Env,
    company: str,
    account: str,
    first: str,
    last: str,
    org: str,
    email: str,
    phone: str,
    street: str,
    city: str,
    state: str,
    zip_code: str,
    tax_group: str,
    group: str = "30",
) -> Row:
    row: Row = {
        "dataAreaId": company,
        "CustomerAccount": account,
        "CustomerGroupId": group,
        "SalesCurrencyCode": "USD",
        "PartyType": "Organization" if org else "Person",
        "OrganizationName": org,
        "PersonFirstName": first,
        "PersonLastName": last,
        "PrimaryContactEmail": email,
        "PrimaryContactPhone": phone,
        "AddressStreet": street,
        "AddressCity": city,
        "AddressState": state,
        "AddressZipCode": zip_code,
        "AddressCountryRegionId": "USA" if street else "",
        "SalesTaxGroup": tax_group,
        "DeliveryMode": "GROUND",
        "PaymentTerms": "Net30",
        "LanguageId": "en-us",
    }
    row = {k: v for k, v in row.items() if v != ""}
    create_customer(env, env.sets["CustomersV3"], row)
    return env.store.insert("CustTable", row)
