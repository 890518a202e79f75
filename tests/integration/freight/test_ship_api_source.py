# ruff: noqa: F811  (pytest fixtures imported from the refund tests are parameters here)
"""The actual FedEx charge from the Ship API reply: a label made through the FedEx emulator's
``POST /ship/v1/shipments``, its reply handed to ``POST /api/ops/freight/shipments``, the audit line's
``actual`` = the reply's net charge; a later FedEx invoice for the same package wins."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from integration.clients.d365 import D365Client
from sandbox.emulators.fedex.app import create_app
from sandbox.emulators.fedex.config import FedexEmulatorConfig
from sandbox.emulators.serve import RunningServer, start_in_thread
from shared.storage import Storage
from tests.integration.freight.test_freight_audit import HEADER, call, csv_row, env, quote, shipped  # noqa: F401
from tests.integration.refunds.conftest import d365, d365_server, make_sale, shopify_server  # noqa: F401


@pytest.fixture(scope="module")
def fedex_server() -> Iterator[RunningServer]:
    server = start_in_thread(create_app(FedexEmulatorConfig()), name="fedex-ship")
    yield server
    server.stop()


def label(fedex: RunningServer, **changes: Any) -> httpx.Response:
    config = FedexEmulatorConfig()
    token = httpx.post(
        f"{fedex.url}/oauth/token",
        data={"grant_type": "client_credentials", "client_id": config.client_id, "client_secret": config.client_secret},
    ).json()["access_token"]
    body: dict[str, Any] = {
        "labelResponseOptions": "URL_ONLY",
        "accountNumber": {"value": config.account_number},
        "requestedShipment": {
            "shipper": {"address": {"postalCode": "38017", "countryCode": "US"}},
            "recipients": [{"address": {"postalCode": "10001", "countryCode": "US", "residential": True}}],
            "pickupType": "USE_SCHEDULED_PICKUP",
            "serviceType": "FEDEX_GROUND",
            "packagingType": "YOUR_PACKAGING",
            "shippingChargesPayment": {"paymentType": "SENDER"},
            "labelSpecification": {"imageType": "PDF", "labelStockType": "PAPER_85X11_TOP_HALF_LABEL"},
            "requestedPackageLineItems": [
                {"weight": {"units": "LB", "value": 4}},
                {"weight": {"units": "LB", "value": 2}},
            ],
        },
    }
    for key, value in changes.items():
        if value is None:
            body["requestedShipment"].pop(key, None)
        else:
            body["requestedShipment"][key] = value
    return httpx.post(f"{fedex.url}/ship/v1/shipments", json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_emulator_refuses_a_ship_request_without_what_fedex_requires(fedex_server: RunningServer) -> None:
    for field in ("recipients", "labelSpecification", "serviceType"):
        response = label(fedex_server, **{field: None})
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        assert error["code"] == "INVALID.INPUT.EXCEPTION" and field in str(error.get("parameterList"))


def test_ship_api_net_charge_is_the_actual_until_the_invoice_arrives(
    env: None,
    storage: Storage,
    d365: D365Client,
    d365_server: RunningServer,
    shopify_server: RunningServer,
    fedex_server: RunningServer,
) -> None:
    response = label(fedex_server)
    assert response.status_code == 200, response.text
    reply = response.json()
    [shipment] = reply["output"]["transactionShipments"]
    rating = shipment["completedShipmentDetail"]["shipmentRating"]
    [detail] = [d for d in rating["shipmentRateDetails"] if d["rateType"] == rating["actualRateType"]]
    net = Decimal(str(detail["totalNetChargeWithDutiesAndTaxes"] or detail["totalNetCharge"]))
    master = shipment["masterTrackingNumber"]
    second = [p["trackingNumber"] for p in shipment["pieceResponses"] if p["trackingNumber"] != master]
    assert len(second) == 1

    sale = make_sale(d365, d365_server.url, shopify_server.url)
    sale.invoice()
    quote(storage, "GROUND", 1000)
    shipped(storage, sale, second[0])  # F&O sent the second package's number: the shipment is still found
    status, result = call(storage, "POST", "freight/shipments", response.content)
    assert status == 200, result
    assert result["orders"] == 1
    status, rep = call(storage, "GET", "money/freight", top="50")
    [line] = [x for x in rep["lines"] if x["order_id"] == str(sale.order_id)]
    assert Decimal(line["actual"]) == net.quantize(Decimal("0.01")) and line["actual_source"] == "ship_api"
    assert line["details"][0]["zone"] and line["details"][0]["surcharges"]

    # What FedEx finally bills replaces the rating made at label time.
    body = "\n".join([HEADER, csv_row(second[0], "23.40")])
    status, _ = call(storage, "POST", "freight/invoices", body.encode())
    assert status == 200
    status, rep = call(storage, "GET", "money/freight", top="50")
    [line] = [x for x in rep["lines"] if x["order_id"] == str(sale.order_id)]
    assert line["actual"] == "23.40" and line["actual_source"] == "invoice"


def test_a_body_that_is_not_a_ship_reply_is_a_400(env: None, storage: Storage) -> None:
    for body in (
        b"",
        b"not json",
        b'{"output": {}}',
        b'{"output": {"transactionShipments": [{"masterTrackingNumber": "1"}]}}',
    ):
        status, result = call(storage, "POST", "freight/shipments", body)
        assert status == 400, result
