"""Reply shape (as recorded replies), deterministic prices, DIM weight, transit data."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import jsonschema

from sandbox.emulators.fedex.schema import load_openapi
from sandbox.tests.emulators.fedex.conftest import KIT, Emulator, rate_request, reply


def _response_validator() -> jsonschema.Draft4Validator:
    spec = load_openapi()
    return jsonschema.Draft4Validator({"$ref": "#/components/schemas/RatcResponseVO", "components": spec["components"]})


def test_reply_validates_like_the_recorded_replies(emulator: Emulator) -> None:
    validator = _response_validator()
    recorded = json.loads((KIT / "karrio-live-rate-responses-2024-07.json").read_text())
    assert all(not list(validator.iter_errors(r)) for r in recorded)  # the yardstick itself
    body = emulator.rate(rate_request()).json()
    assert [e.message for e in validator.iter_errors(body)] == []
    output = body["output"]
    assert "encoded" in output and "isEncoded" not in output  # reality, not the schema (reference §2.5)
    recorded_ground = next(d for d in recorded[0]["output"]["rateReplyDetails"] if d["serviceType"] == "FEDEX_GROUND")
    ours = next(d for d in output["rateReplyDetails"] if d["serviceType"] == "FEDEX_GROUND")
    assert set(recorded_ground) - {"deliveryStation"} <= set(ours)
    cross_border_only = {"ancillaryFeesAndTaxes"}  # clearance fees of the recorded CA->US reply
    assert set(recorded_ground["ratedShipmentDetails"][0]) - cross_border_only <= set(ours["ratedShipmentDetails"][0])
    assert set(recorded_ground["commit"]) - {"derivedOriginDetail", "derivedDestinationDetail"} <= set(ours["commit"])
    for detail in output["rateReplyDetails"]:
        assert [r["rateType"] for r in detail["ratedShipmentDetails"]] == ["ACCOUNT", "LIST"]
        assert all(r["currency"] == "USD" for r in detail["ratedShipmentDetails"])


def test_prices_are_deterministic_and_account_is_below_list(emulator: Emulator) -> None:
    first, second = emulator.rate(rate_request()).json(), emulator.rate(rate_request()).json()
    strip = [[r["ratedShipmentDetails"] for r in b["output"]["rateReplyDetails"]] for b in (first, second)]
    assert strip[0] == strip[1]
    for detail in first["output"]["rateReplyDetails"]:
        account, listed = detail["ratedShipmentDetails"]
        assert account["totalNetCharge"] < listed["totalNetCharge"]


def test_ground_price_by_hand(emulator: Emulator) -> None:
    # 4.5 lb, 12x10x6 in (DIM 720/139 = 5.18 -> 6 lb): billable 6 lb. Zone: |652-723|//100 = 0 -> zone 2.
    # LIST base = 10.40 + 0.88 * 5 = 14.80; fuel 18.5 % = 2.738 -> 2.74; net 17.54.
    rated = reply(emulator.rate(rate_request()), "FEDEX_GROUND", "LIST")
    assert rated["ratedWeightMethod"] == "DIM"
    assert rated["shipmentRateDetail"]["totalBillingWeight"] == {"units": "LB", "value": 6}
    assert rated["shipmentRateDetail"]["dimDivisor"] == 139
    assert Decimal(str(rated["totalBaseCharge"])) == Decimal("14.80")
    assert Decimal(str(rated["totalNetCharge"])) == Decimal("17.54")
    # ACCOUNT: 12 % off freight (1.78) -> 13.02; fuel 2.41 -> 15.43.
    account = reply(emulator.rate(rate_request()), "FEDEX_GROUND", "ACCOUNT")
    assert Decimal(str(account["totalDiscounts"])) == Decimal("1.78")
    assert Decimal(str(account["totalNetCharge"])) == Decimal("15.43")


def test_actual_weight_without_dimensions(emulator: Emulator) -> None:
    body = rate_request()
    del body["requestedShipment"]["requestedPackageLineItems"][0]["dimensions"]
    response = emulator.rate(body)
    rated = reply(response, "FEDEX_GROUND", "LIST")
    assert rated["ratedWeightMethod"] == "ACTUAL"
    assert rated["shipmentRateDetail"]["totalBillingWeight"]["value"] == 5
    assert (rated["shipmentRateDetail"]["dimDivisor"], rated["shipmentRateDetail"]["pricingCode"]) == (0, "PACKAGE")
    ground = next(d for d in response.json()["output"]["rateReplyDetails"] if d["serviceType"] == "FEDEX_GROUND")
    assert ground["customerMessages"] == []


def test_dim_note_and_heavier_box_costs_more(emulator: Emulator) -> None:
    big = rate_request(
        requestedShipment__requestedPackageLineItems=[
            {
                "weight": {"units": "LB", "value": 4.5},
                "dimensions": {"length": 24, "width": 18, "height": 12, "units": "IN"},
            }
        ]
    )
    response = emulator.rate(big)
    ground = next(d for d in response.json()["output"]["rateReplyDetails"] if d["serviceType"] == "FEDEX_GROUND")
    assert ground["customerMessages"][0]["code"] == "DIM.APPLIED.NOTE"
    rated = reply(response, "FEDEX_GROUND", "LIST")
    assert rated["shipmentRateDetail"]["totalBillingWeight"]["value"] == 38  # 5184 / 139 = 37.3 -> 38
    small = reply(emulator.rate(rate_request()), "FEDEX_GROUND", "LIST")
    assert rated["totalNetCharge"] > small["totalNetCharge"]


def test_residential_gets_home_delivery_and_surcharge(emulator: Emulator) -> None:
    response = emulator.rate(rate_request(requestedShipment__recipient__address__residential=True))
    services = [d["serviceType"] for d in response.json()["output"]["rateReplyDetails"]]
    assert "GROUND_HOME_DELIVERY" in services and "FEDEX_GROUND" not in services
    rated = reply(response, "GROUND_HOME_DELIVERY", "LIST")
    kinds = {s["type"]: s["amount"] for s in rated["shipmentRateDetail"]["surCharges"]}
    assert kinds["RESIDENTIAL_DELIVERY"] == 5.95 and "FUEL" in kinds


def test_zone_grows_with_distance(emulator: Emulator) -> None:
    near = reply(emulator.rate(rate_request()), "FEDEX_2_DAY")
    far = reply(
        emulator.rate(
            rate_request(
                requestedShipment__recipient__address__postalCode="98101",
                requestedShipment__recipient__address__stateOrProvinceCode="WA",
            )
        ),
        "FEDEX_2_DAY",
    )
    assert (near["shipmentRateDetail"]["rateZone"], far["shipmentRateDetail"]["rateZone"]) == ("2", "5")
    assert far["totalNetCharge"] > near["totalNetCharge"]


def test_group_package_count_multiplies(emulator: Emulator) -> None:
    one = reply(emulator.rate(rate_request()), "FEDEX_GROUND")
    three = reply(
        emulator.rate(rate_request(requestedShipment__requestedPackageLineItems__0__groupPackageCount=3)),
        "FEDEX_GROUND",
    )
    assert len(three["ratedPackages"]) == 3
    assert Decimal(str(three["totalNetCharge"])) == 3 * Decimal(str(one["totalNetCharge"]))


def test_canada_domestic_has_tax_in_total_net_charge(emulator: Emulator) -> None:
    body = rate_request(
        requestedShipment__shipper__address={"postalCode": "K2P1L4", "countryCode": "CA"},
        requestedShipment__recipient__address={"postalCode": "K1M1M4", "countryCode": "CA"},
    )
    rated = reply(emulator.rate(body), "FEDEX_EXPRESS_SAVER")
    tax = Decimal(str(rated["shipmentRateDetail"]["taxes"][0]["amount"]))
    assert tax > 0
    assert Decimal(str(rated["totalNetCharge"])) == Decimal(str(rated["totalNetFedExCharge"])) + tax


def test_service_type_filter_and_cross_border(emulator: Emulator) -> None:
    one = emulator.rate(rate_request(requestedShipment__serviceType="FEDEX_2_DAY")).json()
    assert [d["serviceType"] for d in one["output"]["rateReplyDetails"]] == ["FEDEX_2_DAY"]
    to_canada = {"postalCode": "K1M1M4", "countryCode": "CA"}
    customs: dict[str, Any] = {
        "dutiesPayment": {"paymentType": "SENDER"},
        "commodities": [
            {
                "description": "Cotton T-shirt",
                "quantity": 1,
                "quantityUnits": "PCS",
                "weight": {"units": "LB", "value": 0.5},
                "customsValue": {"amount": 19.99, "currency": "USD"},
                "countryOfManufacture": "US",
                "harmonizedCode": "6109.10",
            }
        ],
    }
    abroad = emulator.rate(
        rate_request(requestedShipment__recipient__address=to_canada, requestedShipment__customsClearanceDetail=customs)
    ).json()
    assert {d["serviceType"] for d in abroad["output"]["rateReplyDetails"]} == {
        "FEDEX_INTERNATIONAL_PRIORITY",
        "INTERNATIONAL_ECONOMY",
    }
    # As FedEx: international rating needs commodity data, field by field.
    missing = emulator.rate(rate_request(requestedShipment__recipient__address=to_canada))
    assert missing.status_code == 400 and missing.json()["errors"][0]["code"] == "INVALID.INPUT.EXCEPTION"
    for field in ("description", "quantity", "quantityUnits", "weight", "customsValue", "countryOfManufacture"):
        partial = {**customs, "commodities": [{k: v for k, v in customs["commodities"][0].items() if k != field}]}
        refused = emulator.rate(
            rate_request(
                requestedShipment__recipient__address=to_canada, requestedShipment__customsClearanceDetail=partial
            )
        )
        assert refused.status_code == 400, field
        assert field in json.dumps(refused.json()["errors"][0]), field
    bad_hs = {**customs, "commodities": [{**customs["commodities"][0], "harmonizedCode": "shirt"}]}
    refused = emulator.rate(
        rate_request(requestedShipment__recipient__address=to_canada, requestedShipment__customsClearanceDetail=bad_hs)
    )
    assert refused.status_code == 400


def test_transit_data_only_when_asked(emulator: Emulator) -> None:
    body = emulator.rate(rate_request()).json()
    ground = next(d for d in body["output"]["rateReplyDetails"] if d["serviceType"] == "FEDEX_GROUND")
    assert ground["commit"]["transitDays"]["minimumTransitTime"] == "ONE_DAY"
    assert ground["operationalDetail"]["deliveryDate"] == "2026-11-24T23:59:00"
    saver = next(d for d in body["output"]["rateReplyDetails"] if d["serviceType"] == "FEDEX_EXPRESS_SAVER")
    assert saver["commit"]["dateDetail"] == {"dayOfWeek": "Thu", "dayFormat": "2026-11-26T16:30:00"}
    # Friday ship date: 2 business days -> Tuesday.
    friday = emulator.rate(
        rate_request(requestedShipment__shipDateStamp="2026-11-27", requestedShipment__serviceType="FEDEX_2_DAY")
    ).json()
    assert friday["output"]["rateReplyDetails"][0]["operationalDetail"]["deliveryDate"] == "2026-12-01T16:30:00"
    quiet = emulator.rate(rate_request(rateRequestControlParameters={"returnTransitTimes": False})).json()
    for detail in quiet["output"]["rateReplyDetails"]:
        assert "commit" not in detail
        assert set(detail["operationalDetail"]) == {
            "ineligibleForMoneyBackGuarantee",
            "astraDescription",
            "serviceCode",
        }


def test_realism_toggles(emulator: Emulator) -> None:
    emulator.http.put(
        "/_emulator/config",
        json={
            "commit_date_field": "dayCxsFormat",
            "no_date_services": ["FEDEX_GROUND"],
            "mojibake_names": True,
            "extra_service_types": ["FEDEX_PRIORITY_OVERNIGHT_EXTRA_HOURS"],
            "virtual_response": True,
        },
    )
    body = emulator.rate(rate_request()).json()["output"]
    by_type = {d["serviceType"]: d for d in body["rateReplyDetails"]}
    assert "dayCxsFormat" in by_type["FEDEX_2_DAY"]["commit"]["dateDetail"]
    assert by_type["FEDEX_GROUND"]["commit"]["label"] == "Delivery date unavailable"
    assert "deliveryDate" not in by_type["FEDEX_GROUND"]["operationalDetail"]
    assert by_type["FEDEX_2_DAY"]["serviceName"].endswith("Â®")
    assert "FEDEX_PRIORITY_OVERNIGHT_EXTRA_HOURS" in by_type
    assert body["alerts"][0]["code"] == "VIRTUAL.RESPONSE"


def test_commit_ascending_sort(emulator: Emulator) -> None:
    body = rate_request(
        rateRequestControlParameters={"returnTransitTimes": True, "rateSortOrder": "COMMITDESCENDING"},
        requestedShipment__recipient__address__postalCode="98101",
        requestedShipment__recipient__address__stateOrProvinceCode="WA",
    )
    services = [d["serviceType"] for d in emulator.rate(body).json()["output"]["rateReplyDetails"]]
    assert services[0] == "FEDEX_GROUND" and services[-1] in {"PRIORITY_OVERNIGHT", "STANDARD_OVERNIGHT"}
