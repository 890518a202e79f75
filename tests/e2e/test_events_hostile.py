"""Hostile input against the F&O packing-slip event endpoint over real HTTP through the local host,
with the F&O and Shopify emulators behind it: random bodies, oversized batches, long and odd ids.
Never a 5xx, a key is required, and nothing is recorded for a slip F&O does not have."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.host.process import HostProcess
from shared import tables
from shared.storage import Storage
from tests.e2e.conftest import flows_stack

pytestmark = [pytest.mark.e2e, pytest.mark.azurite]
URL = "/api/d365/events/packing-slip"
KEY = {"x-functions-key": "local-function-key"}


@pytest.fixture(scope="module")
def host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostProcess]:
    with flows_stack(azurite, tmp_path_factory.mktemp("events-host")) as (running, _, _):
        yield running


def _event(sales_id: object, slip: object) -> dict[str, object]:
    return {"BusinessEventId": "PackingSlipPostedBusinessEvent", "SalesId": sales_id, "PackingSlipId": slip}


def _rows_for(storage: Storage, marker: str) -> list:
    return [
        r
        for r in storage.table(tables.FULFILLMENT_SYNC).query_entities("PartitionKey ne ''")
        if marker in json.dumps(r, default=str)
    ]


def test_a_key_is_required(host: HostProcess) -> None:
    assert httpx.post(f"{host.url}{URL}", json=_event("SO-1", "PS-1"), timeout=15).status_code == 401


@pytest.mark.parametrize(
    "body,status",
    [
        ([_event(f"HOSTILE-{i}", "PS-1") for i in range(300)], 413),
        (_event("S" * 5000, "PS-1"), 400),
        (_event("HOSTILE-NUL\u0000", "PS-1"), 400),
        ("just a string", 400),
        ({"SalesId": {"nested": True}, "PackingSlipId": "x"}, 400),
    ],
)
def test_hostile_batches_and_ids_are_4xx_and_record_nothing(
    host: HostProcess, storage: Storage, body: object, status: int
) -> None:
    response = httpx.post(f"{host.url}{URL}", json=body, headers=KEY, timeout=30)
    assert response.status_code == status, response.text
    assert response.json()["reason"]
    assert not _rows_for(storage, "HOSTILE-") and not _rows_for(storage, "SSSSSSSSSS")


def test_events_for_slips_fo_does_not_have_record_nothing(host: HostProcess, storage: Storage) -> None:
    body = [_event("HOSTILE-JUNK", f"PS-{i}") for i in range(50)]
    response = httpx.post(f"{host.url}{URL}", json=body, headers=KEY, timeout=60)
    assert response.status_code == 200
    assert {r["outcome"] for r in response.json()["results"]} == {"not_found"}
    assert not _rows_for(storage, "HOSTILE-JUNK")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(body=st.one_of(st.binary(max_size=400), json_values.map(lambda v: json.dumps(v).encode())))
def test_random_bodies_never_5xx(host: HostProcess, body: bytes) -> None:
    response = httpx.post(f"{host.url}{URL}", content=body, headers=KEY, timeout=30)
    assert response.status_code < 500, response.text


def test_console_paths_never_5xx(host: HostProcess) -> None:
    for name in ("", "console.js", "../host.json", "index.html", "%00", "x" * 2000):
        response = httpx.get(f"{host.url}/api/ops/console/{name}", timeout=15)
        assert response.status_code < 500, (name, response.status_code)
