"""The one error tree: every client's status-code classification lands on Transient, Permanent or
Conflict, and ``is_transient`` answers once for every flow."""

from __future__ import annotations

import httpx
import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError

from integration.clients import d365, dataverse, fedex, shopify
from integration.crm.outcome import CrmNotReady
from integration.errors import Conflict, IntegrationError, Permanent, Transient, is_transient
from integration.fulfillment.records import SlipBusy
from integration.inventory.publish import PublishError
from integration.orders.records import RecordConflict
from integration.refunds.errors import RefundBlocked, RefundNotYet
from integration.refunds.ledger import LedgerConflict
from integration.refunds.records import RefundRecordConflict
from shared.lease import LeaseBusy

KINDS = (Transient, Permanent, Conflict)


def kind(error: BaseException) -> type[IntegrationError]:
    [found] = [k for k in KINDS if isinstance(error, k)]  # exactly one kind each
    return found


@pytest.mark.parametrize(
    ("status", "payload", "in_batch", "expected", "kind_"),
    [
        (400, {"error": {"message": "Field is required"}}, False, d365.D365ValidationError, Permanent),
        (400, {"error": {"message": "Record already exists"}}, False, d365.D365AlreadyExists, Permanent),
        (404, None, False, d365.D365NotFound, Permanent),
        (401, None, False, d365.D365AuthError, Permanent),
        (403, None, False, d365.D365AuthError, Permanent),
        (412, None, False, d365.D365PreconditionFailed, Conflict),
        (408, None, False, d365.D365Transient, Transient),
        (429, None, False, d365.D365Transient, Transient),  # throttled beyond the retry budget: not a refusal
        (500, None, False, d365.D365Transient, Transient),
        (503, {"error": "gateway text"}, False, d365.D365Transient, Transient),
        (
            500,
            {"error": {"innererror": {"message": "Write failed for table row"}}},
            True,
            d365.D365ValidationError,
            Permanent,
        ),
        (500, {"error": {"message": "timeout"}}, True, d365.D365Transient, Transient),
    ],
)
def test_fo_status_codes(status, payload, in_batch, expected, kind_) -> None:
    error = d365.classify(status, payload, "SalesOrderHeadersV2", in_batch=in_batch)
    assert type(error) is expected and kind(error) is kind_
    assert isinstance(error, IntegrationError) and isinstance(error, d365.D365Error)
    assert is_transient(error) == (kind_ is not Permanent)


@pytest.mark.parametrize(
    ("status", "expected", "kind_"),
    [
        (400, dataverse.DataverseValidationError, Permanent),
        (405, dataverse.DataverseValidationError, Permanent),
        (404, dataverse.DataverseNotFound, Permanent),
        (401, dataverse.DataverseAuthError, Permanent),
        (412, dataverse.DataversePreconditionFailed, Conflict),
        (408, dataverse.DataverseTransient, Transient),
        (429, dataverse.DataverseTransient, Transient),
        (500, dataverse.DataverseTransient, Transient),
        (503, dataverse.DataverseTransient, Transient),
    ],
)
def test_dataverse_status_codes(status, expected, kind_) -> None:
    error = dataverse.classify(status, {"error": {"code": "0x80040217", "message": "m"}}, "contacts")
    assert type(error) is expected and kind(error) is kind_
    assert isinstance(error, dataverse.DataverseError)


@pytest.mark.parametrize(
    ("error", "kind_"),
    [
        (shopify.ShopifyTransient("THROTTLED"), Transient),
        (shopify.ShopifyGraphQLError("Field 'x' doesn't exist"), Permanent),
        (shopify.ShopifyUserErrors("tagsAdd", [{"message": "bad", "code": "INVALID"}]), Permanent),
        (shopify.ShopifyAuthError("401"), Permanent),
        (PublishError("bad reason"), Permanent),
        (fedex.FedexTransient("503", 503), Transient),
        (fedex.FedexRejected("400", 400, ("RATE.LOCATION.NOSERVICE",)), Permanent),
        (fedex.FedexAuthError("401", 401), Permanent),
        (RefundNotYet("PENDING", "money pending"), Transient),
        (RefundBlocked("UNMAPPED", "unmapped line"), Permanent),
        (CrmNotReady("no salesorder yet"), Transient),
        (RecordConflict("order record"), Conflict),
        (RefundRecordConflict("refund record"), Conflict),
        (LedgerConflict("ledger"), Conflict),
        (SlipBusy("slip"), Conflict),
    ],
)
def test_every_project_error_has_one_kind(error, kind_) -> None:
    assert kind(error) is kind_
    assert is_transient(error) == (kind_ is not Permanent)


def test_shopify_and_fedex_bases_are_in_the_tree() -> None:
    for base in (shopify.ShopifyError, fedex.FedexError, d365.D365Error, dataverse.DataverseError):
        assert issubclass(base, IntegrationError)


@pytest.mark.parametrize(
    "error",
    [
        LeaseBusy("held", 5.0),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        ServiceRequestError("storage unreachable"),
        TimeoutError(),
        ConnectionResetError(),
    ],
)
def test_infrastructure_failures_are_transient(error) -> None:
    assert is_transient(error)


def storage_error(status: int) -> HttpResponseError:
    error = HttpResponseError(message=f"HTTP {status}")
    error.status_code = status
    return error


def test_storage_status_codes() -> None:
    assert is_transient(storage_error(429)) and is_transient(storage_error(500)) and is_transient(storage_error(503))
    assert not is_transient(storage_error(400)) and not is_transient(storage_error(409))
    assert not is_transient(ResourceNotFoundError("gone"))


@pytest.mark.parametrize("error", [ValueError("bug"), KeyError("x"), PermissionError(), RuntimeError("x")])
def test_bugs_are_not_transient(error) -> None:
    assert not is_transient(error)
