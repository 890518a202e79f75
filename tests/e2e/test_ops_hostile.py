"""Hostile input against the ops API through the local host, and who did what: malformed bodies,
oversized values and keys get a 4xx with a reason (never a 5xx) and change nothing; every action is in
the audit log with the caller's principal (``X-MS-CLIENT-PRINCIPAL``), mapping changes with before and
after."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import azure.functions as func
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration.triggers.ops import ops_api
from sandbox.host.process import HostProcess
from shared import queues, tables
from shared.audit import AuditLog
from shared.principal import encode_principal
from shared.storage import Storage

KEY = {"x-functions-key": "local-function-key"}


def as_user(name: str) -> dict[str, str]:
    return {**KEY, "X-MS-CLIENT-PRINCIPAL": encode_principal(name, f"oid-{name}"), "X-MS-CLIENT-PRINCIPAL-NAME": name}


@pytest.fixture(scope="module")
def client(product_host: HostProcess):
    with httpx.Client(base_url=f"{product_host.url}/api/ops", timeout=20, headers=KEY) as http:
        yield http


def _mapping_rows(storage: Storage, section: str) -> list:
    return list(storage.table(tables.MAPPINGS).query_entities("PartitionKey eq @s", parameters={"s": section}))


@pytest.mark.parametrize(
    "method,path,body,status",
    [
        ("POST", "exceptions/retry", b'"a json string"', 400),
        ("POST", "exceptions/retry", b"[1, 2]", 400),
        ("POST", "exceptions/retry", b'{"items": "x"}', 400),
        ("POST", "exceptions/retry", b'{"items": [{"entity": "order", "id": "' + b"9" * 2000 + b'"}]}', 400),
        ("POST", "exceptions/retry", b'{"items": [' + b",".join([b'{"entity":"order","id":"1"}'] * 501) + b"]}", 413),
        ("POST", "exceptions/retry", b"[" * 600 + b"]" * 600, 400),
        ("PUT", "mappings/tax/title:big", json.dumps({"value": "x" * 100_000}).encode(), 413),
        ("PUT", "mappings/tax/" + "k" * 2000, b'{"value": "EXEMPT"}', 400),
        ("PUT", "mappings/tax/title:str", b'"EXEMPT"', 400),
        ("PUT", "mappings/tax/title:null", b'{"value": null}', 400),
        ("PUT", "mappings/tax/title:nul%00", b'{"value": "A"}', 400),
        ("DELETE", f"mappings/tax/never-set-{uuid.uuid4().hex}", b"", 404),
    ],
)
def test_malformed_ops_input_is_4xx_and_changes_nothing(
    client: httpx.Client, storage: Storage, method: str, path: str, body: bytes, status: int
) -> None:
    before = len(_mapping_rows(storage, "tax"))
    response = client.request(method, path, content=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]
    assert len(_mapping_rows(storage, "tax")) == before


def test_dry_run_is_honoured_with_a_body(client: httpx.Client, storage: Storage) -> None:
    order_queue = storage.queue(queues.ORDERS)
    before = order_queue.get_queue_properties().approximate_message_count
    body = {"items": [{"entity": "order", "id": "820982911946154508"}]}
    response = client.post("exceptions/retry", params={"dry_run": "true"}, json=body)
    assert response.status_code == 200
    assert response.json() == {"dry_run": True, "would_retry": body["items"]}
    assert order_queue.get_queue_properties().approximate_message_count == before


def test_every_action_and_mapping_change_carries_the_principal(client: httpx.Client, storage: Storage) -> None:
    user = f"alice-{uuid.uuid4().hex[:6]}@contoso.example"
    key = f"title:audit-{uuid.uuid4().hex[:6]}"
    assert client.put(f"mappings/tax/{key}", json={"value": "TAXGRP1"}, headers=as_user(user)).status_code == 200
    assert client.put(f"mappings/tax/{key}", json={"value": "TAXGRP2"}, headers=as_user(user)).status_code == 200
    assert client.delete(f"mappings/tax/{key}", headers=as_user(user)).status_code == 200
    refused = client.post("exceptions/retry", content=b'"x"', headers=as_user(user))
    assert refused.status_code == 400

    audit = AuditLog(storage)
    actions = audit.timeline("ops", user)
    assert [a.step for a in actions] == [
        "PUT mappings/{section}/{id}",
        "PUT mappings/{section}/{id}",
        "DELETE mappings/{section}/{id}",
        "POST exceptions/retry",
    ]
    assert [a.outcome for a in actions] == ["done", "done", "done", "refused"]
    assert all(a.details and a.details["principal"]["name"] == user for a in actions)
    assert actions[0].details and actions[0].details["principal"]["id"] == f"oid-{user}"

    changes = audit.timeline("mapping", f"tax/{key}")
    assert [(c.details or {}).get("old") for c in changes] == [None, "TAXGRP1", "TAXGRP2"]
    assert [(c.details or {}).get("new") for c in changes] == ["TAXGRP1", "TAXGRP2", None]
    assert all((c.details or {})["principal"]["name"] == user for c in changes)


def test_the_local_host_stands_in_for_easy_auth(client: httpx.Client, storage: Storage) -> None:
    key = f"title:local-{uuid.uuid4().hex[:6]}"
    assert client.put(f"mappings/tax/{key}", json={"value": "T"}).status_code == 200
    changes = AuditLog(storage).timeline("mapping", f"tax/{key}")
    assert changes and (changes[0].details or {})["principal"]["provider"] == "local"


def test_without_a_principal_the_ops_function_refuses() -> None:
    request = func.HttpRequest("POST", "/api/ops/exceptions/retry", headers={}, route_params={"path": "x"}, body=b"")
    response = ops_api(request)
    assert response.status_code == 401 and b"principal" in response.get_body()


bodies = st.one_of(
    st.binary(max_size=300),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20,
    ).map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    body=bodies,
    key=st.text(min_size=1, max_size=60).filter(lambda k: "/" not in k and k.strip(".")),
    target=st.sampled_from(["PUT mappings/skus/{key}", "POST exceptions/retry", "POST exceptions/order/{key}/retry"]),
)
def test_random_ops_input_never_5xx(client: httpx.Client, body: bytes, key: str, target: str) -> None:
    method, template = target.split(" ")
    response = client.request(
        method, template.format(key=quote(key, safe="")), content=body, params={"dry_run": "true"}
    )
    assert response.status_code < 500, response.text
