"""What FedEx accepts and rejects, with FedEx's error codes (reference §2.2, §2.7)."""

from __future__ import annotations

import pytest

from sandbox.tests.emulators.fedex.conftest import Emulator, first_error, karrio_request, rate_request


def test_fedex_full_schema_example_is_accepted(shared_emulator: Emulator) -> None:
    response = shared_emulator.rate(karrio_request(), **{"x-customer-transaction-id": "order-1001"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customerTransactionId"] == "order-1001"
    assert [d["serviceType"] for d in body["output"]["rateReplyDetails"]] == ["STANDARD_OVERNIGHT"]


def test_our_request_is_accepted_and_rate_shops(shared_emulator: Emulator) -> None:
    response = shared_emulator.rate(rate_request())
    assert response.status_code == 200, response.text
    services = [d["serviceType"] for d in response.json()["output"]["rateReplyDetails"]]
    assert services == [
        "PRIORITY_OVERNIGHT",
        "STANDARD_OVERNIGHT",
        "FEDEX_2_DAY",
        "FEDEX_EXPRESS_SAVER",
        "FEDEX_GROUND",
    ]


def test_minimal_sample_with_numeric_postal_codes_is_accepted(shared_emulator: Emulator) -> None:
    body = {
        "accountNumber": {"value": "740561073"},
        "requestedShipment": {
            "shipper": {"address": {"postalCode": 65247, "countryCode": "US"}},
            "recipient": {"address": {"postalCode": 75063, "countryCode": "US"}},
            "pickupType": "DROPOFF_AT_FEDEX_LOCATION",
            "rateRequestType": ["ACCOUNT", "LIST"],
            "requestedPackageLineItems": [{"weight": {"units": "LB", "value": 10}}],
        },
    }
    assert shared_emulator.rate(body).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"requestedShipment__pickupType": "REGULAR_PICKUP"}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__rateRequestType": ["NEGOTIATED"]}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__requestedPackageLineItems__0__dimensions__length": 12.5}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__requestedPackageLineItems__0__weight__units": "OZ"}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__requestedPackageLineItems__0__weight__value": 4.125}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__requestedPackageLineItems__0__weight__value": 0}, "WEIGHT.VALUE.INVALID"),
        ({"requestedShipment__requestedPackageLineItems__0__weight__value": 151}, "SERVICE.PACKAGECOMBINATION.INVALID"),
        ({"requestedShipment__requestedPackageLineItems": []}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__shipDateStamp": "2026-11-22"}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__shipDateStamp": "2026-12-04"}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__recipient__address__postalCode": "7234"}, "DESTINATION.POSTALCODE.MISSING.ORINVALID"),
        ({"requestedShipment__shipper__address__postalCode": "ABCDE"}, "COUNTRY.POSTALCODE.INVALID"),
        ({"requestedShipment__recipient__address__stateOrProvinceCode": "Arkansas"}, "INVALID.INPUT.EXCEPTION"),
        ({"requestedShipment__recipient__address__postalCode": "99999"}, "RATE.LOCATION.NOSERVICE"),
        ({"requestedShipment__serviceType": "FEDEX_WARP_SPEED"}, "SERVICETYPE.NOTSUPPORTED"),
        ({"accountNumber": {"value": ""}}, "SHIPPER.ACCOUNT.REQUIRED"),
        ({"accountNumber": {"value": "123456789"}}, "ACCOUNT.NUMBER.MISMATCH"),
    ],
)
def test_invalid_requests_get_fedex_codes(shared_emulator: Emulator, overrides: dict, code: str) -> None:
    response = shared_emulator.rate(rate_request(**overrides))
    assert response.status_code == 400, response.text
    assert first_error(response) == code


def test_schema_error_names_the_field(shared_emulator: Emulator) -> None:
    response = shared_emulator.rate(rate_request(requestedShipment__pickupType="REGULAR_PICKUP"))
    params = {p["key"]: p["value"] for p in response.json()["errors"][0]["parameterList"]}
    assert params["path"] == "requestedShipment.pickupType"


def test_missing_required_shipper_is_schema_error(shared_emulator: Emulator) -> None:
    body = rate_request()
    del body["requestedShipment"]["shipper"]
    response = shared_emulator.rate(body)
    assert (response.status_code, first_error(response)) == (400, "INVALID.INPUT.EXCEPTION")


def test_malformed_json_is_400(shared_emulator: Emulator) -> None:
    response = shared_emulator.http.post(
        "/rate/v1/rates/quotes",
        content=b"{not json",
        headers={"authorization": f"Bearer {shared_emulator.token()}", "content-type": "application/json"},
    )
    assert (response.status_code, first_error(response)) == (400, "INVALID.INPUT.EXCEPTION")


def test_unserved_destination_country(shared_emulator: Emulator) -> None:
    body = rate_request(requestedShipment__recipient__address={"postalCode": "10400", "countryCode": "CU"})
    response = shared_emulator.rate(body)
    assert (response.status_code, first_error(response)) == (400, "RATE.LOCATION.NOSERVICE")


def test_unknown_route_is_fedex_404(shared_emulator: Emulator) -> None:
    response = shared_emulator.http.post("/rate/v2/nothing")
    assert (response.status_code, first_error(response)) == (404, "NOT.FOUND.ERROR")
