"""Ops API routes and retry for the CRM flow.

* ``GET /api/ops/crm/orders/{order_id}``: what the CRM flow holds for a Shopify order (salesorder id,
  last applied ``updated_at``, refunds counted).
* ``GET /api/ops/crm/contacts/{customer_id}``: the contact link (id, how it was made, owned or not).
* ``POST /api/ops/crm/contacts/{customer_id}/confirm`` ``{"contact_id": "<guid>"}``: a person confirms
  the link (the integration then owns and updates that contact); closes a ``CRM_AMBIGUOUS_CONTACT``.
* ``POST /api/ops/crm/reconcile?since&until&dry_run``: delta reconciliation of orders (reconcile.py).
* ``POST /api/ops/crm/reconcile-customers?since&until&dry_run``: of customers (customer_reconcile.py).
* ``GET /api/ops/crm/summary``: the CRM flow at a glance for the console (on/off, open CRM exceptions
  by reason, checkpoints).
* Retry of a ``crm-order`` / ``crm-contact`` exception (``POST /api/ops/exceptions/crm-order/{id}/retry``):
  a resync envelope on queue ``crm``; the CRM flow re-reads the order (customer) from the Shopify Admin
  API. The exceptions and the timeline are the ops API's own (entities ``crm-order``, ``crm-contact``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.dataverse import DataverseNotFound
from integration.clients.shopify import ShopifyAdmin
from integration.crm import customer_reconcile
from integration.crm import reconcile as order_reconcile
from integration.crm.config import ENTITY_CONTACT, ENTITY_ORDER
from integration.crm.records import CrmLinks, CrmOrders
from integration.crm.service import CrmSync
from integration.ops.api import ApiError, Request, Route
from shared.settings import Settings, SettingsError
from shared.storage import Storage


def _order(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    row = CrmOrders(storage).get(args["order_id"])
    if not row:
        raise ApiError(404, f"the CRM flow has no record of order {args['order_id']!r}")
    return {
        "order_id": args["order_id"],
        "salesorder_id": row.get("SalesOrderId", ""),
        "updated_at": row.get("UpdatedAt", ""),
        "refunds": CrmOrders(storage).refunds_of(args["order_id"]),
    }


def _contact(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    link = CrmLinks(storage).get("contact", args["customer_id"])
    if link is None:
        raise ApiError(404, f"Shopify customer {args['customer_id']!r} is not linked to a CRM contact")
    return {"customer_id": args["customer_id"], "contact_id": link.row_id, "how": link.how, "owned": link.owned}


class Crm:
    """What the CRM routes need, handed in by ``integration.bootstrap.ops_router``."""

    def __init__(
        self, settings: Callable[[], Settings], sync: Callable[[], CrmSync], shopify: Callable[[], ShopifyAdmin]
    ) -> None:
        self.settings, self.sync, self.shopify = settings, sync, shopify

    def on(self) -> None:
        if self.settings().DATAVERSE_URL is None:
            raise ApiError(409, "the CRM flow is off (DATAVERSE_URL is not set)")


def _confirm(request: Request, args: dict[str, str], crm: Crm) -> Any:
    contact_id = str(request.json().get("contact_id") or "")
    try:
        uuid.UUID(contact_id)
    except ValueError:
        raise ApiError(400, 'body must be {"contact_id": "<contact GUID>"}') from None
    crm.on()
    try:
        sync = crm.sync()
    except SettingsError as error:
        raise ApiError(409, str(error)) from None
    try:
        sync.resolver.confirm(args["customer_id"], contact_id)
    except DataverseNotFound:
        raise ApiError(404, f"CRM has no contact {contact_id}") from None
    sync.exceptions.resolve(ENTITY_CONTACT, args["customer_id"], f"link to contact {contact_id} confirmed")
    return {"customer_id": args["customer_id"], "contact_id": contact_id, "owned": True}


def _window(request: Request, crm: Crm, stored: str) -> tuple[datetime, datetime, bool]:
    crm.on()
    now = datetime.now(UTC)
    since = request.moment("since", datetime.fromisoformat(stored) if stored else now - timedelta(days=1))
    until = request.moment("until", now)
    if since >= until:
        raise ApiError(400, "since must be before until")
    return since, until, request.params.get("dry_run", "true").lower() in ("0", "false", "no")


def _reconcile(storage: Storage, request: Request, crm: Crm) -> Any:
    since, until, apply = _window(request, crm, order_reconcile.checkpoint(storage))
    orders = list(crm.shopify().list_orders(since.isoformat(), until.isoformat()))
    sync = crm.sync()
    return order_reconcile.reconcile(storage, sync.client, sync.config, orders, since, until, apply).as_dict()


def _reconcile_customers(storage: Storage, request: Request, crm: Crm) -> Any:
    since, until, apply = _window(request, crm, order_reconcile.checkpoint(storage, customer_reconcile.CHECKPOINT_ROW))
    found = customer_reconcile.updated_customers(crm.shopify(), since.isoformat(), until.isoformat())
    ids = list(dict.fromkeys(found))
    sync = crm.sync()
    return customer_reconcile.reconcile_customers(storage, sync.client, sync.config, ids, since, until, apply).as_dict()


def _summary(storage: Storage, crm: Crm) -> Any:
    store = ExceptionStore(storage)
    by_reason: dict[str, int] = {}
    for entity in (ENTITY_ORDER, ENTITY_CONTACT):
        for record in store.list(entity=entity, status="open", limit=1000):
            by_reason[record.reason_code] = by_reason.get(record.reason_code, 0) + 1
    return {
        "on": crm.settings().DATAVERSE_URL is not None,
        "open_exceptions": sum(by_reason.values()),
        "exceptions_by_reason": by_reason,
        "orders_checkpoint": order_reconcile.checkpoint(storage),
        "customers_checkpoint": order_reconcile.checkpoint(storage, customer_reconcile.CHECKPOINT_ROW),
    }


def routes(
    settings: Callable[[], Settings], sync: Callable[[], CrmSync], shopify: Callable[[], ShopifyAdmin]
) -> list[Route]:
    """The CRM routes (the ``crm-order`` / ``crm-contact`` retry is a resync on queue ``crm``:
    ``ops/resync.RESYNC_QUEUES``)."""
    crm = Crm(settings, sync, shopify)
    return [
        Route(
            "GET",
            "crm/summary",
            lambda s, r, a: _summary(s, crm),
            "The CRM flow at a glance: on/off, open CRM exceptions, checkpoints",
        ),
        Route("GET", "crm/orders/{order_id}", _order, "What the CRM flow holds for a Shopify order"),
        Route(
            "POST",
            "crm/reconcile",
            lambda s, r, a: _reconcile(s, r, crm),
            "Shopify orders updated in [since, until] (default: since the last applied run) vs Dataverse; "
            "dry_run=true (default) only reports, dry_run=false queues a CRM resync of each difference",
            ("since", "until", "dry_run"),
        ),
        Route(
            "POST",
            "crm/reconcile-customers",
            lambda s, r, a: _reconcile_customers(s, r, crm),
            "Shopify customers updated in [since, until] (default: since the last applied run) vs their Dataverse "
            "contacts; dry_run=true (default) only reports, dry_run=false queues a CRM resync of each difference",
            ("since", "until", "dry_run"),
        ),
        Route("GET", "crm/contacts/{customer_id}", _contact, "The CRM contact a Shopify customer is linked to"),
        Route(
            "POST",
            "crm/contacts/{customer_id}/confirm",
            lambda s, r, a: _confirm(r, a, crm),
            'A person confirms a contact link, body {"contact_id": ...}: the integration then owns that contact',
        ),
    ]
