"""CRM delta reconciliation of customers: the Shopify customers updated in a window, compared with their
Dataverse contacts (the order side is reconcile.py; same dry run / apply contract).

The Shopify Admin API lists the customers updated in ``[since, until]`` (GraphQL ``customers`` with
``updated_at`` search, paged by cursor). For each, the CRM flow's link (Table ``crmlinks``) and the
contacts carrying the Shopify id in the key column (20 ids per ``$filter``) say:

* ``missing``: no link and no contact with the key: the customer never reached CRM;
* ``link-gone``: the linked contact no longer exists (deleted in CRM) or is inactive;
* ``key``: the integration owns the link but the contact no longer carries the Shopify id.

A dry run (the default) only reports. ``apply`` drops a stale link and queues a resync of the customer
on queue ``crm`` (entity ``crm-contact``: the CRM flow re-reads the customer from Shopify and matches
and writes it again) and stores ``until`` as the checkpoint (Table ``syncstate``, row
``crm-customers``). Customers with an open ``crm-contact`` exception are reported as ``blocked``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.dataverse import DataverseClient, odata_literal
from integration.clients.shopify_orders import updated_query
from integration.crm.config import ENTITY_CONTACT, CrmConfig
from integration.crm.reconcile import CHUNK, Report, save_checkpoint
from integration.crm.records import CrmLinks
from integration.ops.resync import resync_envelope
from shared import queues
from shared.storage import Storage

CHECKPOINT_ROW = "crm-customers"
PAGE = 100
CUSTOMERS_UPDATED = """query crmCustomersUpdated($query: String!, $first: Int!, $after: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { id legacyResourceId updatedAt }
  }
}"""
CUSTOMER_BY_ID = """query crmCustomer($id: ID!) {
  customer(id: $id) {
    id legacyResourceId firstName lastName
    defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber }
    defaultAddress { firstName lastName company address1 address2 city province provinceCode zip country
      countryCodeV2 phone }
  }
}"""


def updated_customers(shopify: Any, since: str, until: str) -> Iterator[str]:
    """Legacy ids of the customers updated in ``[since, until]`` (``ShopifyAdmin.graphql``)."""
    query, after = updated_query(since, until), None
    while True:
        data = shopify.graphql(CUSTOMERS_UPDATED, {"query": query, "first": PAGE, "after": after})
        page = data["customers"]
        for node in page["nodes"]:
            yield str(node["legacyResourceId"])
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


def fetch_customer(shopify: Any, customer_id: str) -> dict[str, Any] | None:
    """The customer in the ``customers/update`` webhook's shape (what parse_customer reads)."""
    node = shopify.graphql(CUSTOMER_BY_ID, {"id": f"gid://shopify/Customer/{customer_id}"}).get("customer")
    if not node:
        return None
    address = node.get("defaultAddress")
    return {
        "id": int(node["legacyResourceId"]),
        "email": (node.get("defaultEmailAddress") or {}).get("emailAddress"),
        "phone": (node.get("defaultPhoneNumber") or {}).get("phoneNumber"),
        "first_name": node.get("firstName"),
        "last_name": node.get("lastName"),
        "default_address": None
        if not isinstance(address, dict)
        else {
            "first_name": address.get("firstName"),
            "last_name": address.get("lastName"),
            "company": address.get("company"),
            "address1": address.get("address1"),
            "address2": address.get("address2"),
            "city": address.get("city"),
            "province": address.get("province"),
            "province_code": address.get("provinceCode"),
            "zip": address.get("zip"),
            "country": address.get("country"),
            "country_code": address.get("countryCodeV2"),
            "phone": address.get("phone"),
        },
    }


def reconcile_customers(
    storage: Storage,
    client: DataverseClient,
    config: CrmConfig,
    customer_ids: list[str],
    since: datetime,
    until: datetime,
    apply: bool,
) -> Report:
    report = Report(since.isoformat(), until.isoformat(), apply)
    links, exceptions = CrmLinks(storage), ExceptionStore(storage)
    for start in range(0, len(customer_ids), CHUNK):
        chunk = customer_ids[start : start + CHUNK]
        found = _contacts(client, config, chunk, links)
        for customer_id in chunk:
            report.checked += 1
            why = _difference(customer_id, links, found, config)
            if not why:
                report.in_sync += 1
                continue
            record = exceptions.get(ENTITY_CONTACT, customer_id)
            if record is not None and record.status == "open":
                why = f"blocked ({record.reason_code})"
            report.differences.append({"customer_id": customer_id, "why": why})
            if apply and not why.startswith("blocked"):
                if why == "link-gone":
                    links.forget("contact", customer_id)
                envelope = resync_envelope(ENTITY_CONTACT, customer_id, f"crm reconciliation: {why}")
                storage.queue(queues.CRM).send_message(envelope.to_message())
                report.queued.append(customer_id)
    if apply:
        save_checkpoint(storage, CHECKPOINT_ROW, until)
    return report


def _contacts(client: DataverseClient, config: CrmConfig, ids: list[str], links: CrmLinks) -> dict[str, dict[str, Any]]:
    """Contacts by contactid: those carrying one of ``ids`` in the key column, and the linked ones."""
    linked = [link.row_id for i in ids if (link := links.get("contact", i)) is not None]
    clauses = [f"{config.contact_key} eq {odata_literal(i)}" for i in ids] + [f"contactid eq {r}" for r in linked]
    rows: dict[str, dict[str, Any]] = {}
    for start in range(0, len(clauses), CHUNK):
        part = " or ".join(clauses[start : start + CHUNK])
        for row in client.query("contacts", f"({part})", ["contactid", config.contact_key, "statecode"], top=2 * CHUNK):
            rows[str(row["contactid"])] = row
    return rows


def _difference(customer_id: str, links: CrmLinks, found: dict[str, dict[str, Any]], config: CrmConfig) -> str:
    link = links.get("contact", customer_id)
    keyed = [r for r in found.values() if str(r.get(config.contact_key) or "") == customer_id]
    if link is None:
        return "" if keyed else "missing"
    row = found.get(link.row_id)
    if row is None or row.get("statecode") not in (0, None):
        return "link-gone"
    if link.owned and str(row.get(config.contact_key) or "") != customer_id:
        return "key"
    return ""
