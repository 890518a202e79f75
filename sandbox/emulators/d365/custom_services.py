"""Custom services on the emulated tenant: ``POST /api/services/<group>/<service>/<operation>``, the JSON
endpoint F&O gives every X++ service class in a service group (Microsoft Learn, "Custom service
development"). Standard F&O has no service or OData action that posts a customer payment journal; a
tenant that wants the app to post deploys one (docs/flows/payments.md § Posting). The emulator stands
for that service at ``D365EmulatorConfig.posting_service`` (empty: not deployed, 404 as for any unknown
service). Its contract: body ``{"journalBatchNumber", "dataAreaId"}``, posting as a user would
(``LedgerJournalCheckPost``); an X++ error answers HTTP 500 ``{"Message", "ExceptionType":
"XppServicesException"}`` (the shape of F&O's custom-service faults as seen in public reports; not
documented by Microsoft).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.emulators.d365 import payment_journals
from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.wire import loads


def _fault(message: str) -> Response:
    return JSONResponse(
        {
            "Message": f"An exception occured when invoking the operation - {message}",
            "ExceptionType": "XppServicesException",
        },
        status_code=500,
    )


async def call(request: Request, env: Env, posting_service: str, default_company: str) -> Response:
    path = request.path_params.get("path", "").strip("/")
    if not posting_service or path.casefold() != posting_service.strip("/").casefold():
        return JSONResponse({"Message": f"No service operation found at /api/services/{path}"}, status_code=404)
    raw = await request.body()
    try:
        body: Any = loads(raw) if raw.strip() else {}
    except ValueError:
        return _fault("the request body is not JSON")
    if not isinstance(body, dict) or not body.get("journalBatchNumber"):
        return _fault("parameter journalBatchNumber is required")
    company = str(body.get("dataAreaId") or default_company).lower()
    try:
        header = payment_journals.post_journal(env, company, str(body["journalBatchNumber"]))
    except payment_journals.PostingError as exc:
        return _fault(str(exc))
    return JSONResponse({"journalBatchNumber": header["JournalBatchNumber"], "posted": True})
