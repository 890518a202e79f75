"""CRM sync: one queue message (a Shopify webhook fanned out to queue ``crm``) -> Dataverse.

* ``orders/*``: the customer's contact (matching.py; an account for a B2B company), then the
  ``salesorder`` and its ``salesorderdetail`` lines in ONE ``$batch`` changeset of upserts by
  alternate key (a retry or a redelivery rewrites the same rows: no duplicates), then the lifecycle
  (lifecycle.py): cancellation, partial / full fulfillment with tracking.
* ``refunds/create``: refund amount and F&O credit note number on the order, plus a note.
* ``customers/create|update``: the contact (owned contacts are kept up to date; others only linked).

Blocked documents (ambiguous contact, totals that differ) become exceptions (entities ``crm-order`` /
``crm-contact``); Dataverse trouble raises, so the queue retries and, after ``maxDequeueCount``, parks
the message in ``crm-poison`` -- independent of the F&O queues.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.dataverse import DataverseClient, DataverseValidationError, Op, bind, odata_literal, path
from integration.crm import edits, fo_numbers, hooks, lifecycle
from integration.crm.config import ENTITY_CONTACT, ENTITY_ORDER, CrmConfig
from integration.crm.mapping import (
    ACTIVE,
    CLOSED,
    STATUS_NEW,
    TOTAL_MISMATCH,
    account_body,
    company_of,
    order_plan,
    person_from_customer,
    person_from_order,
    tracking_numbers,
)
from integration.crm.matching import AMBIGUOUS_CONTACT, ContactResolver
from integration.crm.outcome import Outcome
from integration.crm.records import CrmLinks, CrmOrders
from integration.customers.model import parse_customer
from integration.orders.contact import normalize_email
from integration.orders.model import Order, parse_order
from shared import queues
from shared.audit import AuditLog
from shared.hooks import Hooks
from shared.lease import holding
from shared.logs import get_logger, log_event
from shared.storage import Storage

NO_CUSTOMER = "CRM_NO_CUSTOMER"
UNKNOWN_CURRENCY = "CRM_UNKNOWN_CURRENCY"
LEASE_KIND = "crm-order"  # shared/lease.py: one CRM writer per Shopify order (apart from F&O's "order")
CONTACT_LEASE_KIND = "crm-contact"  # one CRM writer per Shopify customer for customers/* events
LEASE_SECONDS = 180.0  # longer than the client's worst case for one event (a few calls of <= 30 s each)
ORDER_EVENTS = frozenset({hooks.FO_SALES_ORDER, hooks.FO_CREDIT_NOTE, hooks.FO_INVOICE})
log = get_logger(__name__)


class CrmSync:
    def __init__(
        self,
        storage: Storage,
        client: DataverseClient,
        config: CrmConfig,
        fetch_order: Callable[[str], dict[str, Any] | None] | None = None,
        fetch_customer: Callable[[str], dict[str, Any] | None] | None = None,
    ) -> None:
        self.storage, self.client, self.config = storage, client, config
        self.fetch_order = fetch_order  # the Shopify Admin API's order (REST shape), for retries
        self.fetch_customer = fetch_customer  # the customer (webhook shape), for contact retries
        self.links = CrmLinks(storage)
        self.orders = CrmOrders(storage)
        self.resolver = ContactResolver(client, self.links, config)
        self.exceptions = ExceptionStore(storage)
        self.audit = AuditLog(storage)
        self._currencies: dict[str, str] = {}
        self.hooks = Hooks()  # named pause points for race tests (no-op in production)

    def handle(self, topic: str, payload: dict[str, Any]) -> Outcome:
        """One event. Every event of one Shopify order runs under that order's CRM lease (a customer
        event under the customer's), so two deliveries never interleave their reads and writes of the
        CRM row (:class:`LeaseBusy` for the second: entry.py puts it back on the queue until the lease
        ends)."""
        kind, key = _lease_of(topic, payload)
        if not key:
            return self._handle(topic, payload)
        with holding(self.storage, kind, key, LEASE_SECONDS):
            self.hooks.reached("crm.leased", key)
            return self._handle(topic, payload)

    def _handle(self, topic: str, payload: dict[str, Any]) -> Outcome:
        if topic in queues.ORDER_TOPICS:
            return self.order(topic, payload)
        if topic in queues.REFUND_TOPICS:
            return lifecycle.refund(self, payload)
        if topic in queues.CUSTOMER_TOPICS:
            return self.customer(payload)
        if topic == queues.RESYNC:
            return self.resync(payload)
        if topic == hooks.FO_SALES_ORDER:
            return fo_numbers.sales_order(self, payload)
        if topic == hooks.FO_CREDIT_NOTE:
            return fo_numbers.credit_note(self, payload)
        if topic == hooks.FO_INVOICE:
            return fo_numbers.invoice(self, payload)
        return Outcome("ignored", f"topic {topic} is not synced to CRM")

    def resync(self, payload: dict[str, Any]) -> Outcome:
        """A retry from the ops API: the order (or customer) as Shopify has it now, through its path."""
        if payload.get("entity") == ENTITY_CONTACT and self.fetch_customer is not None:
            customer = self.fetch_customer(str(payload["id"]))
            if customer is None:
                return Outcome("ignored", f"Shopify has no customer {payload['id']}")
            return self.customer(customer)
        if payload.get("entity") != ENTITY_ORDER or self.fetch_order is None:
            return Outcome("ignored", f"cannot resync {payload.get('entity')!r} in the CRM flow")
        fresh = self.fetch_order(str(payload["id"]))
        if fresh is None:
            return Outcome("ignored", f"Shopify has no order {payload['id']}")
        return self.order("orders/updated", fresh)

    # ---- customers -------------------------------------------------------------------------------
    def customer(self, payload: dict[str, Any]) -> Outcome:
        person = person_from_customer(parse_customer(payload))
        if not (person.email or person.phone or person.last_name or person.first_name):
            return Outcome("ignored", "no contact details to sync")
        resolution = self.resolver.resolve(person)
        if resolution.ambiguous:
            self._block(ENTITY_CONTACT, person.customer_id, AMBIGUOUS_CONTACT, resolution.how, resolution.ambiguous)
            return Outcome("blocked", AMBIGUOUS_CONTACT)
        self.exceptions.resolve(ENTITY_CONTACT, person.customer_id, f"linked to contact ({resolution.how})")
        return self.done(ENTITY_CONTACT, person.customer_id, Outcome("linked", resolution.how))

    # ---- orders ----------------------------------------------------------------------------------
    def order(self, topic: str, payload: dict[str, Any]) -> Outcome:
        shopify_order = parse_order(payload)
        order = edits.as_edited(shopify_order)
        order_id = str(order.id)
        customer = self._customer(order, payload)
        if isinstance(customer, Outcome):
            return customer
        key = {self.config.order_key: order_id}
        record = self.orders.get(order_id)
        # UTC, so ISO strings compare in time order whatever offset Shopify wrote them with.
        updated_at = order.updated_at.astimezone(UTC).isoformat() if order.updated_at else ""
        if updated_at and str(record.get("UpdatedAt") or "") > updated_at and topic != "orders/cancelled":
            return Outcome("ignored", f"stale: updated_at {updated_at} < {record['UpdatedAt']}")
        self.hooks.reached("crm.order.checked", order_id)
        current = self.client.get("salesorders", key, select=["salesorderid", "statecode", "statuscode"])
        events: list[str] = []
        if current is None or current.get("statecode") not in CLOSED:
            currency = self._currency(order.currency)
            if not currency:
                return self._blocked_order(order, UNKNOWN_CURRENCY, f"no active transactioncurrency {order.currency}")
            plan = order_plan(
                order, self.config, customer=customer, currency_id=currency, products=self._products(order)
            )
            if plan.difference:
                return self._blocked_order(
                    order,
                    TOTAL_MISMATCH,
                    f"CRM total {plan.total} differs from Shopify's {plan.shopify_total} by {plan.difference}",
                    {"crm_total": str(plan.total), "shopify_total": str(plan.shopify_total)},
                )
            header = dict(plan.header)
            fo_number = _fo_sales_order(self.storage, order_id)
            if fo_number:
                header[self.config.fo_number] = fo_number
            tracking = tracking_numbers(payload)
            if tracking:
                header[self.config.tracking] = ", ".join(tracking)[:4000]
            ops = [Op("PATCH", path("salesorders", key), header)]
            ops += [
                Op("PATCH", path("salesorderdetails", {self.config.line_key: ln.key}), ln.body) for ln in plan.lines
            ]
            if current is not None and edits.was_edited(shopify_order):  # removed lines: same changeset
                ops += edits.removed_lines(self.client, self.config, str(current["salesorderid"]), plan)
            try:
                self.client.changeset(ops)
                events.append("written")
            except DataverseValidationError:
                # A concurrent delivery of this order may have closed it since it was read: then the
                # content stays as it is (Dataverse refuses edits of closed orders) and only notes follow.
                current = self.client.get("salesorders", key, select=["salesorderid", "statecode", "statuscode"])
                if current is None or current.get("statecode") not in CLOSED:
                    raise
            if current is None:  # created just now: Active / New, addressed by its alternate key from here
                current = {"statecode": ACTIVE, "statuscode": STATUS_NEW}
        ref: str | dict[str, str] = str(current.get("salesorderid") or "") or key
        events += lifecycle.apply(self, order, payload, current, ref, cancelled=topic == "orders/cancelled")
        salesorder_id = str(current.get("salesorderid") or record.get("SalesOrderId") or "")
        self.orders.save(
            order_id, SalesOrderId=salesorder_id, UpdatedAt=max(updated_at, str(record.get("UpdatedAt") or ""))
        )
        self.exceptions.resolve(ENTITY_ORDER, order_id, "synced to CRM")
        action = "written" if events else "unchanged"
        return self.done(ENTITY_ORDER, order_id, Outcome(action, ",".join(events), salesorder_id, tuple(events)))

    def _customer(self, order: Order, payload: dict[str, Any]) -> tuple[str, str] | Outcome:
        """(navigation property, bind path) of the order's customer, or the blocked Outcome."""
        if order.customer is not None:
            customer_id = str(order.customer.id)
        elif order.email:
            # A guest has no Shopify customer id: the key column holds a hash of the e-mail instead.
            customer_id = "g-" + hashlib.sha256(normalize_email(order.email).encode()).hexdigest()[:24]
        else:
            return self._blocked_order(order, NO_CUSTOMER, "guest order without an e-mail: no contact to file it under")
        # The contact is the customer's document: its writes run under the customer's CRM lease, as a
        # customers/* event's do, so two orders of one customer (or an order and a customer update) never
        # interleave them (order lease, then contact lease: the customer path takes only the second).
        with holding(self.storage, CONTACT_LEASE_KIND, customer_id, LEASE_SECONDS):
            self.hooks.reached("crm.contact.leased", customer_id)
            resolution = self.resolver.resolve(person_from_order(order, customer_id))
        if resolution.ambiguous:
            return self._blocked_order(
                order,
                AMBIGUOUS_CONTACT,
                f"several CRM contacts share this {resolution.how}; a person must choose",
                {"rule": resolution.how, "contacts": resolution.ambiguous},
            )
        company = company_of(payload)
        if not company:
            return ("customerid_contact", bind("contacts", resolution.contact_id))
        account_key = {self.config.account_key: company}
        address = order.billing_address or order.shipping_address
        body = account_body(company, address.company if address else "", address, self.config)
        body["primarycontactid@odata.bind"] = bind("contacts", resolution.contact_id)
        # Keyed by the Shopify company id: the account is the integration's own row.
        self.client.upsert("accounts", account_key, body)
        return ("customerid_account", bind("accounts", account_key))

    def _currency(self, code: str) -> str:
        if code not in self._currencies:
            rows = self.client.query(
                "transactioncurrencies", f"isocurrencycode eq {odata_literal(code)}", ["transactioncurrencyid"], top=1
            )
            if rows:
                self._currencies[code] = str(rows[0]["transactioncurrencyid"])
        return self._currencies.get(code, "")

    def _products(self, order: Order) -> dict[str, tuple[str, str]]:
        if self.config.product_mode != "sku":
            return {}
        found: dict[str, tuple[str, str]] = {}
        for sku in sorted({line.sku for line in order.lines if line.sku}):
            rows = self.client.query(
                "products",
                f"productnumber eq {odata_literal(sku)} and statecode eq 0",
                ["productid", "_defaultuomid_value"],
                top=1,
            )
            if rows and rows[0].get("_defaultuomid_value"):
                found[sku] = (str(rows[0]["productid"]), str(rows[0]["_defaultuomid_value"]))
        return found  # a SKU CRM does not have goes in as a write-in product

    # ---- bookkeeping -----------------------------------------------------------------------------
    def _blocked_order(self, order: Order, reason: str, message: str, values: dict[str, Any] | None = None) -> Outcome:
        self.exceptions.open(ENTITY_ORDER, str(order.id), reason, message, {"order": order.name, **(values or {})})
        return self.done(ENTITY_ORDER, str(order.id), Outcome("blocked", reason))

    def _block(self, entity: str, entity_id: str, reason: str, rule: str, candidates: list[str]) -> None:
        self.exceptions.open(
            entity, entity_id, reason, f"several CRM contacts share this {rule}", {"rule": rule, "contacts": candidates}
        )

    def done(self, entity: str, entity_id: str, outcome: Outcome) -> Outcome:
        self.audit.record(
            entity, entity_id, "crm", outcome.action, target=outcome.salesorder_id, details={"detail": outcome.detail}
        )
        log_event(log, "crm.handled", entity=entity, entity_id=entity_id, action=outcome.action, detail=outcome.detail)
        return outcome


def _lease_of(topic: str, payload: dict[str, Any]) -> tuple[str, str]:
    """(lease kind, Shopify id) of the document an event changes on the CRM side ("" if none)."""
    entity = payload.get("entity") if topic == queues.RESYNC else None
    if topic in queues.ORDER_TOPICS or entity == ENTITY_ORDER:
        return LEASE_KIND, str(payload.get("id") or "")
    if topic in queues.REFUND_TOPICS or topic in ORDER_EVENTS:
        return LEASE_KIND, str(payload.get("order_id") or "")
    if topic in queues.CUSTOMER_TOPICS or entity == ENTITY_CONTACT:
        return CONTACT_LEASE_KIND, str(payload.get("id") or "")
    return "", ""


def _fo_sales_order(storage: Storage, order_id: str) -> str:
    """The F&O sales order number once order sync has it (read-only look at its record)."""
    from integration.orders.records import OrderRecords

    record = OrderRecords(storage).get(order_id)
    return record.sales_order_number if record is not None else ""
