"""FedEx's error body: ``{"transactionId", "customerTransactionId"?, "errors": [{code, message, parameterList?}]}``.

Codes and messages follow the OpenAPI examples and the reference (§1.3, §2.7). Clients must key on
``code`` (FedEx best practice), so the messages here are only informative.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse

MESSAGES = {
    "NOT.AUTHORIZED.ERROR": "Access token expired. Please modify your request and try again.",
    "BAD.CREDENTIALS": "The given client credentials were not valid. Please modify your request and try again.",
    "FORBIDDEN.ERROR": "We could not authorize your credentials. Please check your permissions and try again.",
    "NOT.FOUND.ERROR": "The resource you requested is no longer available. Please modify your request and try again.",
    "INTERNAL.SERVER.ERROR": "We encountered an unexpected error and are working to resolve the issue. "
    "We apologize for any inconvenience. Please check back at a later time.",
    "SERVICE.UNAVAILABLE.ERROR": "The service is currently unavailable and we are working to resolve the issue. "
    "We apologize for any inconvenience. Please check back at a later time.",
    "INVALID.INPUT.EXCEPTION": "Invalid field value in the input",
    "ACCOUNT.NUMBER.MISMATCH": "When payment Type is SENDER, ShippingChargesPayment Payor AccountNumber "
    "should match the shipper account number.",
    "SHIPPER.ACCOUNT.REQUIRED": "Shipper account number is required.",
    "COUNTRY.POSTALCODE.INVALID": "Invalid postal code/country combination for the origin.",
    "DESTINATION.POSTALCODE.MISSING.ORINVALID": "Destination postal code is missing or invalid.",
    "RATE.LOCATION.NOSERVICE": "FedEx service is not currently available to this origin / destination combination",
    "SERVICE.PACKAGECOMBINATION.INVALID": "Invalid service and packaging combination.",
    "SERVICETYPE.NOTSUPPORTED": "The service type is not supported.",
    "WEIGHT.VALUE.INVALID": "Invalid package weight.",
    "TOO.MANY.REQUESTS": "Too many requests - We have received too many requests in a short duration. "
    "Please wait a while to try again.",
    "DAILY.QUOTA.EXCEEDED": "Too many requests - Daily transaction quota exceeded. Retry after 12:00AM GMT",
}


class FedexError(Exception):
    """A FedEx-shaped error reply, raised anywhere in the handlers and rendered once."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status, self.code = status, code
        self.message = message or MESSAGES.get(code, code)
        self.params = params or {}
        self.headers = headers or {}


def error_body(
    code: str, message: str, params: dict[str, str] | None = None, customer_transaction_id: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if params:
        error["parameterList"] = [{"key": k, "value": v} for k, v in params.items()]
    body: dict[str, Any] = {"transactionId": str(uuid.uuid4())}
    if customer_transaction_id:
        body["customerTransactionId"] = customer_transaction_id
    body["errors"] = [error]
    return body


def error_response(exc: FedexError, customer_transaction_id: str | None = None) -> JSONResponse:
    return JSONResponse(
        error_body(exc.code, exc.message, exc.params, customer_transaction_id),
        status_code=exc.status,
        headers=exc.headers,
    )
