"""The packing-slip lease excludes concurrent runs that share one FulfillmentRecords (the timer, the
business-event endpoint and an ops retry on different threads of one worker)."""

from __future__ import annotations

import uuid

import pytest

from integration.fulfillment.model import SlipRef
from integration.fulfillment.records import FulfillmentRecords, SlipBusy
from shared.storage import Storage


def test_second_claim_on_the_same_records_object_is_busy(storage: Storage) -> None:
    records = FulfillmentRecords(storage)
    ref = SlipRef(f"SO{uuid.uuid4().hex[:6]}", "PS1")
    first = records.claim(ref)
    with pytest.raises(SlipBusy):
        records.claim(ref)
    records.save(first, release=True)
    records.claim(ref)  # free again once released
