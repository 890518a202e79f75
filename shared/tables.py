"""Every Azure Table the integration uses, named once. Modules take their table's name from here
(``storage.table(tables.ORDERS)``); ``tests/unit/test_tables.py`` fails on a table name written
anywhere else. Tables are created on first use (``shared/storage.py``)."""

from __future__ import annotations

# -- intake and the trail ----------------------------------------------------------------------------
WEBHOOKS = "webhooks"  # webhook de-duplication (id + topic), integration/webhooks/intake.py
EXCEPTIONS = "exceptions"  # business exceptions for a person, integration/cases.py
AUDIT = "audit"  # every action, shared/audit.py
AUDIT_DAILY = "auditdaily"  # the same, partitioned by day for the console, shared/audit.py
DOCUMENT_LEASES = "documentleases"  # one writer per Shopify document, shared/lease.py
SYNC_STATE = "syncstate"  # timers' watermarks (order and CRM reconciliation)
MAPPINGS = "mappings"  # mapping overrides edited through the ops API, integration/mappings.py
COMPLIANCE = "compliance"  # GDPR/CPRA requests, integration/compliance.py

# -- flows ---------------------------------------------------------------------------------------------
ORDERS = "orders"  # order sync records, integration/orders/records.py
CUSTOMER_LINKS = "customerlinks"  # Shopify customer -> F&O account, integration/orders/customer_match.py
CUSTOMER_SYNC = "customersync"  # integration/customers/service.py
REFUNDS = "refunds"  # refund records, integration/refunds/records.py
REFUND_REDUCTIONS = "refundreductions"  # the line-reduction ledger, integration/refunds/ledger.py
FULFILLMENT_SYNC = "fulfillmentsync"  # packing slip records and the poll watermark
INVENTORY_ITEMS = "inventoryitems"  # integration/inventory/catalog.py
INVENTORY_LEDGER = "inventoryledger"  # integration/inventory/ledger.py
INVENTORY_RUNS = "inventoryruns"  # integration/inventory/runs.py
CATALOG_PRODUCTS = "catalogproducts"  # integration/catalog/state.py
CATALOG_SKUS = "catalogskus"  # SKU -> F&O item number and product dimensions, integration/sku_registry.py
PAYMENTS = "payments"  # integration/payments/records.py
FEDEX_CHARGES = "fedexcharges"  # FedEx invoice lines, integration/freight/audit.py
FREIGHT_AUDIT = "freightaudit"  # integration/freight/audit.py
FEDEX_INVOICE_BLOBS = "fedexinvoiceblobs"  # invoice CSV blobs already read, integration/freight/blob_watch.py
CRM_LINKS = "crmlinks"  # integration/crm/records.py
CRM_ORDERS = "crmorders"  # integration/crm/records.py
CRM_RETRIES = "crmretries"  # integration/crm/entry.py

ALL = (
    WEBHOOKS,
    EXCEPTIONS,
    AUDIT,
    AUDIT_DAILY,
    DOCUMENT_LEASES,
    SYNC_STATE,
    MAPPINGS,
    COMPLIANCE,
    ORDERS,
    CUSTOMER_LINKS,
    CUSTOMER_SYNC,
    REFUNDS,
    REFUND_REDUCTIONS,
    FULFILLMENT_SYNC,
    INVENTORY_ITEMS,
    INVENTORY_LEDGER,
    INVENTORY_RUNS,
    CATALOG_PRODUCTS,
    CATALOG_SKUS,
    PAYMENTS,
    FEDEX_CHARGES,
    FREIGHT_AUDIT,
    FEDEX_INVOICE_BLOBS,
    CRM_LINKS,
    CRM_ORDERS,
    CRM_RETRIES,
)
