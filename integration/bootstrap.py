"""The composition root: the one place that builds clients and flows from settings.

Per worker process it holds one ``D365Client``, one ``ShopifyAdmin`` (one connection pool and one
GraphQL cost bucket for every flow: a document's own calls at ``Priority.URGENT``, inventory and catalog
pushes through a ``Priority.BULK`` view of the same client), one FedEx client (inside the rate
service) and, when ``DATAVERSE_URL`` is set, one Dataverse client. Every trigger in
``integration/triggers/`` reaches its flow through the functions below; flows take their
collaborators as constructor arguments and never read settings or build clients themselves.

Everything is built on first use (importing this module reads no setting and opens no connection, so
the app indexes quickly and a missing setting fails only the function that needs it). Flows that
handle one document at a time are kept for the life of the worker; run-shaped flows (inventory,
catalog, payments, freight) get a new flow object per run (their configuration file is read again)
over the same clients. ``reset()`` closes and forgets everything (tests).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from integration import health
from integration.catalog import ops as catalog_ops
from integration.catalog.config import load_config as load_catalog_config
from integration.catalog.service import CatalogSync
from integration.clients.d365 import D365Client
from integration.clients.dataverse import DataverseClient
from integration.clients.fedex import FedexClient
from integration.clients.shopify import ShopifyAdmin
from integration.clients.shopify_bucket import Priority
from integration.crm import ops as crm_ops
from integration.crm.config import CrmConfig
from integration.crm.customer_reconcile import fetch_customer
from integration.crm.service import CrmSync
from integration.customers import ops as customer_ops
from integration.customers.service import CustomerSync
from integration.doctor import route as doctor_route
from integration.freight import ops as freight_ops
from integration.freight.entry import FreightAudit
from integration.fulfillment.service import FulfillmentConfig, FulfillmentSync
from integration.inventory.config import load_config as load_inventory_config
from integration.inventory.service import InventorySync
from integration.ops import api as ops_api
from integration.ops import flows as ops_flows
from integration.orders.service import OrderFlowConfig, OrderSync
from integration.payments import ops as payment_ops
from integration.payments.config import load_config as load_payments_config
from integration.payments.service import PaymentSync
from integration.rates.quotes import QuoteRecorder
from integration.rates.service import RateService, build_rate_service
from integration.refunds import ops as refund_ops
from integration.refunds.config import RefundConfig
from integration.refunds.service import RefundService
from integration.webhooks.intake import WebhookIntake
from shared.http import RetryPolicy
from shared.settings import Settings, get_settings, reset_settings_cache
from shared.storage import Storage, get_storage, reset_storage

_lock = threading.RLock()
_built: dict[str, Any] = {}

# Dataverse: short client-side retries; a longer outage is waited out by re-queueing (crm/entry.py).
CRM_POLICY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=4, max_retry_after=30, deadline=30)


def _once[T](name: str, build: Callable[[], T]) -> T:
    with _lock:
        if name not in _built:
            _built[name] = build()
        value: T = _built[name]
        return value


# -- settings, storage, clients -------------------------------------------------------------------
def settings() -> Settings:
    return get_settings()


def storage() -> Storage:
    return get_storage()


def d365() -> D365Client:
    def build() -> D365Client:
        current = settings()
        current.require("D365_URL", "D365_LEGAL_ENTITY")
        return D365Client.from_settings(current)

    return _once("d365", build)


def shopify() -> ShopifyAdmin:
    """The worker's Shopify client at ``Priority.URGENT`` (write-back, fulfillment, reads)."""
    return _once("shopify", lambda: ShopifyAdmin.from_settings(settings()))


def shopify_bulk() -> ShopifyAdmin:
    """The same client and cost bucket at ``Priority.BULK`` (inventory, catalog): a new view for each run,
    so a run's summary counts its own Shopify calls."""
    return shopify().at(Priority.BULK)


def fedex() -> FedexClient:
    return _once("fedex", lambda: FedexClient.from_settings(settings()))


def dataverse() -> DataverseClient:
    return _once("dataverse", lambda: DataverseClient.from_settings(settings(), policy=CRM_POLICY))


# -- flows ------------------------------------------------------------------------------------------
def order_sync() -> OrderSync:
    def build() -> OrderSync:
        return OrderSync(storage(), d365(), shopify(), OrderFlowConfig.from_settings(settings()))

    return _once("order_sync", build)


def refund_service() -> RefundService:
    def build() -> RefundService:
        current = settings()
        # Without an Admin token the refund flow still credits; it only cannot re-check transactions.
        admin = shopify() if current.SHOPIFY_ADMIN_TOKEN.get_secret_value() else None
        return RefundService(d365(), admin, storage(), RefundConfig.from_settings(current))

    return _once("refund_service", build)


def fulfillment_sync() -> FulfillmentSync:
    def build() -> FulfillmentSync:
        current = settings()
        current.require("SHOPIFY_ADMIN_TOKEN", "D365_URL", "D365_LEGAL_ENTITY")
        return FulfillmentSync(storage(), d365(), shopify(), FulfillmentConfig.from_settings(current))

    return _once("fulfillment_sync", build)


def customer_sync() -> CustomerSync:
    def build() -> CustomerSync:
        current = settings()
        return CustomerSync(storage(), d365(), current.CUSTOMER_SYNC_WRITE_MATCHED, current.D365_CUSTOMER_PREFIX)

    return _once("customer_sync", build)


def crm_sync() -> CrmSync:
    def build() -> CrmSync:
        current = settings()
        config = CrmConfig.from_settings(current)
        client = dataverse()
        return CrmSync(
            storage(),
            client,
            config,
            lambda order_id: shopify().get_order(order_id),
            lambda customer_id: fetch_customer(shopify(), customer_id),
        )

    return _once("crm_sync", build)


def rate_service() -> RateService:
    def build() -> RateService:
        current = settings()
        current.require("FEDEX_CLIENT_ID", "FEDEX_CLIENT_SECRET", "FEDEX_ACCOUNT_NUMBER")
        return build_rate_service(current, fedex(), current.RATES_CONFIG_PATH or None)

    return _once("rate_service", build)


def quote_recorder() -> QuoteRecorder:
    """Checkout quotes written in batches off the response path."""
    return _once("quote_recorder", lambda: QuoteRecorder(storage))


def webhook_intake() -> WebhookIntake:
    return WebhookIntake(settings(), storage())


def inventory_sync() -> InventorySync:
    """A new run over the worker's clients (the configuration file is read for each run)."""
    current = settings()
    current.require("SHOPIFY_ADMIN_TOKEN", "D365_URL", "D365_LEGAL_ENTITY")
    config = load_inventory_config(current.INVENTORY_CONFIG_PATH)
    return InventorySync(config, storage(), d365(), shopify_bulk(), legal_entity=current.D365_LEGAL_ENTITY)


def catalog_sync() -> CatalogSync:
    current = settings()
    config = load_catalog_config(current.CATALOG_CONFIG_PATH)
    return CatalogSync(config, storage(), d365(), shopify_bulk(), legal_entity=current.D365_LEGAL_ENTITY)


def payment_sync() -> PaymentSync:
    current = settings()
    current.require("SHOPIFY_ADMIN_TOKEN", "D365_URL", "D365_LEGAL_ENTITY")
    config = load_payments_config(current.PAYMENTS_CONFIG_PATH)
    return PaymentSync(storage(), d365(), shopify(), config, current.PAYMENTS_LOOKBACK_DAYS)


def freight_audit() -> FreightAudit:
    current = settings()
    current.require("SHOPIFY_ADMIN_TOKEN", "D365_URL", "D365_LEGAL_ENTITY")
    return FreightAudit(current, storage(), d365(), shopify())


def health_report() -> dict[str, Any]:
    """``GET /api/health``: configuration and storage checked afresh on every call. It keeps nothing
    built, so it answers (503, unhealthy) even when the settings cannot build a client."""
    return health.check_health()


# -- the ops router ---------------------------------------------------------------------------------
def ops_router() -> ops_api.Router:
    """Every ops route, listed here once: the ops API's own, then each flow's."""

    def build() -> ops_api.Router:
        return ops_api.Router(
            [
                *ops_api.ROUTES,
                *ops_api.retry_routes(ops_flows.retry_handlers(fulfillment_sync)),
                *ops_flows.order_routes(shopify),
                *ops_flows.inventory_routes(inventory_sync),
                *ops_flows.ROUTES,
                *customer_ops.ROUTES,
                *refund_ops.ROUTES,
                *catalog_ops.routes(catalog_sync),
                *crm_ops.routes(settings, crm_sync, shopify),
                *payment_ops.routes(payment_sync),
                *freight_ops.routes(freight_audit),
                *doctor_route.ROUTES,
            ]
        )

    return _once("ops_router", build)


def reset() -> None:
    """Close every client and forget every flow, the settings and the storage connection (tests). The
    FedEx client is asynchronous and bound to its event loop: it is dropped, not closed, here."""
    with _lock:
        built = dict(_built)
        _built.clear()
        for name in ("d365", "shopify", "dataverse"):
            client = built.get(name)
            if client is not None:
                client.close()
        recorder = built.get("quote_recorder")
        if isinstance(recorder, QuoteRecorder):
            recorder.flush()
        reset_settings_cache()
        reset_storage()
