"""The packing-slip business event envelope."""

from __future__ import annotations

import pytest

from integration.fulfillment.events import EventError, parse_events
from tests.conftest import sample

ENVELOPE = sample("d365/ms_jp_blog__business_event_batch_job_started_schema_sample.json")


def event(**fields: object) -> dict[str, object]:
    # The standard envelope fields of a downloaded schema, plus the custom event's slip fields.
    base = {
        k: ENVELOPE[k]
        for k in (
            "BusinessEventId",
            "BusinessEventLegalEntity",
            "ControlNumber",
            "EventId",
            "EventTime",
            "EventTimeIso8601",
            "MajorVersion",
            "MinorVersion",
        )
    }
    base.update(
        BusinessEventId="PackingSlipPostedBusinessEvent",
        BusinessEventLegalEntity="USMF",
        ControlNumber=5637145330,
        EventId="D60A8657-E87C-43A8-8D7D-826EBF0490D7",
    )
    base.update(fields)
    return base


def test_envelope_with_sales_id_and_packing_slip_id() -> None:
    [parsed] = parse_events(event(SalesId="SH1001", PackingSlipId="CPS-000001"), "usmf")
    assert (parsed.ref.sales_order, parsed.ref.packing_slip) == ("SH1001", "CPS-000001")
    assert parsed.control_number == 5637145330


def test_entity_field_names_and_lists_are_accepted() -> None:
    parsed = parse_events(
        [event(SalesOrderNumber="SH1", PackingSlipNumber="P1"), event(SalesId="SH2", PackingSlipId="P2")], "usmf"
    )
    assert [e.packing_slip for e in parsed] == ["P1", "P2"]


@pytest.mark.parametrize(
    "body",
    [event(), event(SalesId="SH1"), [], "text", event(SalesId="S", PackingSlipId="P", BusinessEventLegalEntity="usrt")],
)
def test_not_a_packing_slip_event(body: object) -> None:
    with pytest.raises(EventError):
        parse_events(body, "usmf")
