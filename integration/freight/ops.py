"""Ops routes for the freight audit: ``POST /api/ops/freight/invoices`` (the body is the FedEx invoice
export CSV), ``POST /api/ops/freight/audit`` (re-audit every shipped order), ``GET /api/ops/money/freight``."""

from __future__ import annotations

from typing import Any

from integration.clients.d365 import D365Client
from integration.clients.shopify import ShopifyAdmin
from integration.freight.entry import import_invoice, report, run_audit
from integration.freight.invoice_csv import InvoiceFileError, parse
from integration.ops.api import ApiError, Request, Route, extend
from integration.payments.ops import _day
from shared.settings import get_settings
from shared.storage import Storage


def _clients() -> tuple[D365Client, ShopifyAdmin]:
    settings = get_settings()
    settings.require("SHOPIFY_ADMIN_TOKEN", "D365_URL", "D365_LEGAL_ENTITY")
    return D365Client.from_settings(settings), ShopifyAdmin.from_settings(settings)


def _import(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    if not request.body:
        raise ApiError(400, "send the FedEx invoice data export (CSV) as the request body")
    try:
        parse(request.body)  # a file we cannot read is a 400 before anything else is needed
    except InvoiceFileError as error:
        raise ApiError(400, str(error)) from None
    d365, shopify = _clients()
    try:
        return import_invoice(get_settings(), storage, d365, shopify, request.body)
    finally:
        d365.close()
        shopify.close()


def _audit(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    d365, shopify = _clients()
    try:
        return run_audit(get_settings(), storage, d365, shopify)
    finally:
        d365.close()
        shopify.close()


def _report(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    return report(storage, _day(request, "since", ""), _day(request, "until", "9999"), request.int("top", 10, 100))


def register() -> None:
    extend(Route("POST", "freight/invoices", _import, "Import a FedEx invoice data export (CSV body) and audit"))
    extend(Route("POST", "freight/audit", _audit, "Audit the freight of every shipped order now"))
    extend(
        Route(
            "GET",
            "money/freight",
            _report,
            "Freight drift per day and service, top drift orders",
            ("since", "until", "top"),
        )
    )
