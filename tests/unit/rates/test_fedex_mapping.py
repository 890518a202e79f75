"""The FedEx request builder against FedEx's own schema, and the reply parser on recorded replies."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from integration.clients.fedex import Address, Parcel, RateQuery, build_rate_request, parse_rate_response
from sandbox import SAMPLES as SAMPLE_ROOT
from sandbox.emulators.fedex.schema import load_openapi

KIT = SAMPLE_ROOT / "fedex"
SPEC = load_openapi()
# Strict draft-4 validation (no leniency): what we send must satisfy FedEx's schema to the letter.
STRICT = jsonschema.Draft4Validator(
    {"$ref": "#/components/schemas/Full_Schema_Quote_Rate", "components": SPEC["components"]}
)


def strict_errors(body: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in STRICT.iter_errors(body)]


def query(**kw: object) -> RateQuery:
    base: dict = {
        "origin": Address("US", "65247", "MO"),
        "destination": Address("US", "72348", "AR", "Marion", True),
        "parcels": (Parcel(Decimal("4.5"), 12, 10, 6),),
        "ship_date": date(2026, 11, 24),
    }
    base.update(kw)
    return RateQuery(**base)


def test_request_matches_the_documented_shape() -> None:
    body = build_rate_request(query(), "740561073")
    assert strict_errors(body) == []
    shipment = body["requestedShipment"]
    assert body["accountNumber"] == {"value": "740561073"}
    assert body["rateRequestControlParameters"] == {"returnTransitTimes": True}
    assert shipment["recipient"]["address"]["residential"] is True
    assert shipment["pickupType"] == "DROPOFF_AT_FEDEX_LOCATION"
    assert shipment["rateRequestType"] == ["ACCOUNT", "LIST"]
    assert shipment["shipDateStamp"] == "2026-11-24"
    assert shipment["requestedPackageLineItems"] == [
        {"weight": {"units": "LB", "value": 4.5}, "dimensions": {"length": 12, "width": 10, "height": 6, "units": "IN"}}
    ]


def test_weights_have_two_decimals_at_most_and_no_empty_elements() -> None:
    body = build_rate_request(query(parcels=(Parcel(Decimal("2.20462")),), ship_date=None), "1")
    item = body["requestedShipment"]["requestedPackageLineItems"][0]
    assert item == {"weight": {"units": "LB", "value": 2.21}}
    assert "shipDateStamp" not in body["requestedShipment"] and "serviceType" not in body["requestedShipment"]


postal = st.from_regex(r"\A[0-9]{5}\Z")
parcels = st.lists(
    st.builds(
        Parcel,
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("150"), places=3),
        st.integers(1, 108),
        st.integers(1, 108),
        st.integers(1, 108),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(
    o=postal,
    d=postal,
    residential=st.booleans(),
    items=parcels,
    service=st.sampled_from([None, "FEDEX_GROUND", "FEDEX_2_DAY"]),
)
def test_any_query_validates_against_fedex_schema(
    o: str, d: str, residential: bool, items: list[Parcel], service: str | None
) -> None:
    q = query(
        origin=Address("US", o),
        destination=Address("US", d, "NY", None, residential),
        parcels=tuple(items),
        service_type=service,
    )
    body = build_rate_request(q, "740561073")
    assert strict_errors(body) == []
    for item in body["requestedShipment"]["requestedPackageLineItems"]:
        assert Decimal(str(item["weight"]["value"])) == Decimal(str(item["weight"]["value"])).quantize(Decimal("0.01"))


def _load(name: str) -> Any:
    return json.loads((KIT / name).read_text(), parse_float=Decimal)


def test_parses_the_recorded_ca_domestic_reply_with_tax() -> None:
    quotes = parse_rate_response(_load("karrio-live-rate-responses-2024-07.json")[1])
    assert len(quotes) == 1
    saver = quotes[0]
    assert saver.service_type == "FEDEX_EXPRESS_SAVER" and saver.rate_type == "ACCOUNT"
    # totalNetFedExCharge (no HST) is the amount; totalNetCharge keeps the taxed total.
    assert (saver.amount, saver.net_charge, saver.currency) == (Decimal("33.51"), Decimal("38.54"), "USD")
    assert saver.delivery is None and saver.transit_days is None  # "Delivery date unavailable"


def test_parses_the_recorded_rate_shop_reply() -> None:
    quotes = {q.service_type: q for q in parse_rate_response(_load("karrio-live-rate-responses-2024-07.json")[0])}
    ground = quotes["FEDEX_GROUND"]
    assert ground.transit_days == 4
    assert ground.delivery == datetime(2024, 7, 25, 23, 59)
    assert all(isinstance(q.amount, Decimal) for q in quotes.values())


def test_parses_fedex_doc_sample_with_day_cxs_format() -> None:
    quotes = parse_rate_response(_load("fedex-doc-sample-rate-response.json"))
    assert quotes and all(q.amount > 0 for q in quotes)
    assert any(q.delivery is not None for q in quotes)


def test_entries_without_price_are_skipped_and_unknown_fields_ignored() -> None:
    payload = {
        "output": {
            "rateReplyDetails": [
                {
                    "serviceType": "FEDEX_PRIORITY_OVERNIGHT_EXTRA_HOURS",
                    "brandNew": {"x": 1},
                    "ratedShipmentDetails": [
                        {"rateType": "LIST", "totalNetCharge": Decimal("70.10"), "currency": "USD"}
                    ],
                },
                {"serviceType": "FEDEX_GROUND", "ratedShipmentDetails": []},
            ]
        }
    }
    quotes = parse_rate_response(payload)
    assert [(q.service_type, q.amount, q.rate_type) for q in quotes] == [
        ("FEDEX_PRIORITY_OVERNIGHT_EXTRA_HOURS", Decimal("70.10"), "LIST")
    ]
