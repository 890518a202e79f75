"""Ops routes for the freight audit: ``POST /api/ops/freight/invoices`` (the body is the FedEx invoice
export CSV), ``POST /api/ops/freight/shipments`` (a FedEx Ship API reply), ``POST /api/ops/freight/audit``
(re-audit every shipped order), ``GET /api/ops/money/freight``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from integration.freight import ship_reply
from integration.freight.entry import FreightAudit, report
from integration.freight.invoice_csv import InvoiceFileError, parse
from integration.ops.api import ApiError, Request, Route
from integration.payments.ops import _day
from shared.storage import Storage


def _upload(request: Request, what: str, check: Callable[[bytes], object], run: Callable[[bytes], Any]) -> Any:
    if not request.body:
        raise ApiError(400, f"send the {what} as the request body")
    try:
        check(request.body)  # a body we cannot read is a 400 before anything else is needed
    except InvoiceFileError as error:
        raise ApiError(400, str(error)) from None
    return run(request.body)


def _report(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    return report(storage, _day(request, "since", ""), _day(request, "until", "9999"), request.int("top", 10, 100))


def routes(freight_audit: Callable[[], FreightAudit]) -> list[Route]:
    return [
        Route(
            "POST",
            "freight/invoices",
            lambda s, r, a: _upload(
                r, "FedEx invoice data export (CSV)", parse, lambda body: freight_audit().import_invoice(body)
            ),
            "Import a FedEx invoice data export (CSV body) and audit",
        ),
        Route(
            "POST",
            "freight/shipments",
            lambda s, r, a: _upload(
                r, "FedEx Ship API reply (JSON)", ship_reply.parse, lambda body: freight_audit().import_shipments(body)
            ),
            "Import a FedEx Ship API reply (JSON body) and audit",
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
