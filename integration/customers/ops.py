"""Ops API route for customer links: ``POST /api/ops/customers/{customer_id}/confirm-link`` with body
``{"account": "<F&O account>"}``. A person confirms that the F&O account matched by e-mail or phone
is this Shopify customer's, so customer sync may write Shopify's contact fields to it."""

from __future__ import annotations

from typing import Any

from integration.ops.api import ApiError, Request, Route
from integration.orders.customer_match import CONFIRMED, CustomerLinks
from shared.audit import AuditLog
from shared.storage import Storage


def _confirm(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    body = request.json()
    account = str(body.get("account") or "") if isinstance(body, dict) else ""
    if not account:
        raise ApiError(400, 'body must be {"account": "<the linked F&O account>"}')
    key = f"customer:{args['customer_id']}"
    if not CustomerLinks(storage).confirm(key, account):
        raise ApiError(409, f"Shopify customer {args['customer_id']} is not linked to F&O account {account}")
    AuditLog(storage).record("customer", args["customer_id"], "link", CONFIRMED, target=account)
    return {"customer_id": args["customer_id"], "account": account, "how": CONFIRMED}


ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "customers/{customer_id}/confirm-link",
        _confirm,
        "Confirm an e-mail/phone-matched F&O account as this customer's: customer sync may write to it",
    ),
)
