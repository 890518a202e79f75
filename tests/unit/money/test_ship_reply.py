"""Reading the FedEx Ship API reply: the detail named by actualRateType, its net charge (with duties and
taxes when present), the master and package tracking numbers; anything else is a clear refusal."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integration.freight.ship_reply import ShipReplyError, parse


def reply(**rating: object) -> bytes:
    shipment = {
        "masterTrackingNumber": "794600000001",
        "serviceType": "FEDEX_GROUND",
        "shipDatestamp": "2026-11-24",
        "pieceResponses": [{"trackingNumber": "794600000001"}, {"trackingNumber": "794600000002"}],
        "completedShipmentDetail": {"shipmentRating": rating},
    }
    return json.dumps({"transactionId": "t", "output": {"transactionShipments": [shipment]}}).encode()


def test_the_actual_rate_type_decides_which_net_charge_counts() -> None:
    data = reply(
        actualRateType="PAYOR_ACCOUNT_SHIPMENT",
        shipmentRateDetails=[
            {"rateType": "PAYOR_LIST_SHIPMENT", "totalNetCharge": 30.10},
            {"rateType": "PAYOR_ACCOUNT_SHIPMENT", "totalNetCharge": 21.45, "totalNetChargeWithDutiesAndTaxes": 23.05,
             "rateZone": "05", "dimDivisor": 139, "totalBillingWeight": {"units": "LB", "value": 6},
             "surcharges": [{"surchargeType": "FUEL", "description": "Fuel", "amount": 2.5}]},
        ],
    )  # fmt: skip
    [charge] = parse(data)
    assert charge.net_charge == Decimal("23.05") and charge.source == "ship_api"
    assert charge.tracking == "794600000001" and charge.packages == ["794600000001", "794600000002"]
    assert (charge.zone, charge.dim_divisor, charge.rated_weight) == ("05", "139", "6 LB")
    assert charge.surcharges == [{"description": "Fuel", "amount": "2.5"}]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b'{"output": {"transactionShipments": []}}',
        reply(),
        reply(shipmentRateDetails=[{"totalNetCharge": "x"}]),
    ],
)
def test_what_is_not_a_readable_reply_is_refused(data: bytes) -> None:
    with pytest.raises(ShipReplyError):
        parse(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
names = st.sampled_from(["masterTrackingNumber", "pieceResponses", "completedShipmentDetail", "shipmentRating",
                         "shipmentRateDetails", "actualRateType", "rateType", "totalNetCharge", "surcharges",
                         "totalBillingWeight", "trackingNumber", "amount"])  # fmt: skip
shaped = st.recursive(
    json_values,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=4),
    max_leaves=20,
)


@given(shipment=shaped)
@settings(max_examples=300, deadline=None)
def test_any_json_is_read_or_refused_never_a_crash(shipment: object) -> None:
    data = json.dumps({"output": {"transactionShipments": [shipment]}}).encode()
    try:
        charges = parse(data)
    except ShipReplyError:
        return
    assert all(c.net_charge.is_finite() for c in charges)


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e999", "-1e12"])
def test_amounts_that_are_not_money_are_refused(amount: str) -> None:
    with pytest.raises(ShipReplyError):
        parse(reply(actualRateType="A", shipmentRateDetails=[{"rateType": "A", "totalNetCharge": amount}]))


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "1e999"])
def test_an_invoice_export_amount_that_is_not_money_is_refused(amount: str) -> None:
    from integration.freight.invoice_csv import InvoiceFileError
    from integration.freight.invoice_csv import parse as parse_csv

    with pytest.raises(InvoiceFileError, match="row 2"):
        parse_csv(f"Express or Ground Tracking ID,Net Charge Amount\nT1,{amount}\n".encode())
