"""Ops routes for the freight audit: ``POST /api/ops/freight/invoices`` (the body is the FedEx invoice
export CSV), ``POST /api/ops/freight/audit`` (re-audit every shipped order), ``GET /api/ops/money/freight``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integration.freight.entry import FreightAudit, report
from integration.freight.invoice_csv import InvoiceFileError, parse
from integration.ops.api import ApiError, Request, Route
from integration.payments.ops import _day
from shared.storage import Storage


def _import(request: Request, freight_audit: Callable[[], FreightAudit]) -> Any:
    if not request.body:
        raise ApiError(400, "send the FedEx invoice data export (CSV) as the request body")
    try:
        parse(request.body)  # a file we cannot read is a 400 before anything else is needed
    except InvoiceFileError as error:
        raise ApiError(400, str(error)) from None
    return freight_audit().import_invoice(request.body)


def _report(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    return report(storage, _day(request, "since", ""), _day(request, "until", "9999"), request.int("top", 10, 100))


def routes(freight_audit: Callable[[], FreightAudit]) -> list[Route]:
    return [
        Route(
            "POST",
            "freight/invoices",
            lambda s, r, a: _import(r, freight_audit),
            "Import a FedEx invoice data export (CSV body) and audit",
        ),
        Route(
            "POST",
            "freight/audit",
            lambda s, r, a: freight_audit().run(),
            "Audit the freight of every shipped order now",
        ),
        Route(
            "GET",
            "money/freight",
            _report,
            "Freight drift per day and service, top drift orders",
            ("since", "until", "top"),
        ),
    ]
