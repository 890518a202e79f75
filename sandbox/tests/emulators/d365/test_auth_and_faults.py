"""Auth (401, Entra-style token endpoint), service-protection 429s, seeded fault injection, the
request log."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from sandbox.emulators.d365 import D365EmulatorConfig, ThrottleConfig
from sandbox.emulators.faults import FaultConfig
from sandbox.emulators.serve import RunningServer


def test_data_needs_a_bearer_token(server: RunningServer, http: httpx.Client) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        r = anonymous.get("/data/CustomersV3")
        assert r.status_code == 401 and "WWW-Authenticate" in r.headers
        assert r.json()["error"]["message"] == "Authorization has been denied for this request."
        assert anonymous.get("/data/CustomersV3", headers={"Authorization": "Bearer wrong"}).status_code == 401
        token = anonymous.post(
            "/tenant-1/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "local-client-id",
                "client_secret": "local-client-secret",
                "scope": f"{server.url}/.default",
            },
        )
        assert token.status_code == 200
        body = token.json()
        assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
        ok = anonymous.get("/data/CustomersV3/$count", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert ok.status_code == 200 and int(ok.text) > 0
        bad_secret = anonymous.post(
            "/tenant-1/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "local-client-id",
                "client_secret": "nope",
                "scope": f"{server.url}/.default",
            },
        )
        assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
        no_default = anonymous.post(
            "/tenant-1/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "local-client-id",
                "client_secret": "local-client-secret",
                "scope": server.url,
            },
        )
        assert no_default.status_code == 400 and no_default.json()["error"] == "invalid_scope"
        v1 = anonymous.post(
            "/tenant-1/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "local-client-id",
                "client_secret": "local-client-secret",
                "resource": server.url,
            },
        )
        assert v1.status_code == 200 and v1.json()["resource"] == server.url


def test_expired_tokens_are_refused(start: Callable[[D365EmulatorConfig], RunningServer]) -> None:
    running = start(D365EmulatorConfig(token_lifetime_s=-1))
    with httpx.Client(base_url=running.url) as c:
        token = c.post(
            "/t/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "local-client-id",
                "client_secret": "local-client-secret",
                "scope": "api://x/.default",
            },
        ).json()["access_token"]
        assert c.get("/data/TaxGroups", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_service_protection_429_with_retry_after(client: httpx.Client) -> None:
    assert (
        client.put("/_emulator/throttling", json={"max_requests": 3, "window_s": 300, "retry_after_s": 7}).status_code
        == 200
    )
    try:
        statuses = [client.get("/data/TaxGroups/$count").status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        r = client.get("/data/TaxGroups")
        assert r.headers["Retry-After"] == "7"
        assert r.json()["error"]["message"] == (
            "Number of requests exceeded the limit of 3 over the time window of 300 seconds."
        )
    finally:
        client.put("/_emulator/throttling", json={})


def test_faults_are_deterministic_under_a_seed(start: Callable[[D365EmulatorConfig], RunningServer]) -> None:
    faults = FaultConfig(seed=42, rate_429=0.2, rate_500=0.15, rate_503=0.1)
    runs = []
    for _ in range(2):
        running = start(D365EmulatorConfig(faults=faults, throttle=ThrottleConfig(resource_rate=0.1, seed=42)))
        with httpx.Client(base_url=running.url, headers={"Authorization": "Bearer local-dev-token"}) as c:
            runs.append([c.get("/data/DeliveryModesV2", params={"$top": "1"}).status_code for _ in range(30)])
    assert runs[0] == runs[1]
    assert {200, 429, 500, 503} <= set(runs[0])


def test_lost_response_is_applied(client: httpx.Client) -> None:
    assert (
        client.put(
            "/_emulator/faults", json={"seed": 1, "rate_lost_response": 1.0, "methods": ["POST"], "paths": "^/data/"}
        ).status_code
        == 200
    )
    with pytest.raises(httpx.HTTPError):
        client.post(
            "/data/SalesOrderHeadersV2", json={"SalesOrderNumber": "SH-LOST", "OrderingCustomerAccountNumber": "US-002"}
        )
    client.delete("/_emulator/faults")
    retry = client.post(
        "/data/SalesOrderHeadersV2", json={"SalesOrderNumber": "SH-LOST", "OrderingCustomerAccountNumber": "US-002"}
    )
    assert retry.status_code == 400 and "already exists" in retry.text


def test_request_log_counts_requests_per_entity_set(client: httpx.Client) -> None:
    client.get("/data/CustomersV3", params={"$top": "1"})
    client.post("/data/SalesOrderHeadersV2", json={"OrderingCustomerAccountNumber": "NOBODY"})
    log = client.get("/_emulator/requests").json()
    assert log["total"] == 2 and log["by_set"] == {"CustomersV3": 1, "SalesOrderHeadersV2": 1}
    assert [(e["method"], e["set"], e["status"]) for e in log["requests"]] == [
        ("GET", "CustomersV3", 200),
        ("POST", "SalesOrderHeadersV2", 400),
    ]
    assert client.delete("/_emulator/requests").json()["total"] == 0
    state = client.get("/_emulator/state").json()
    assert state["counts"]["CustomersV3"] == 5 and state["default_company"] == "usmf"
    assert {c["CustomerAccount"] for c in state["sets"]["CustomersV3"]} >= {"US-001", "US-RT-001"}
    orders = client.get("/_emulator/state", params={"set": "SalesOrderHeadersV2"}).json()
    assert orders["count"] == 0


async def test_concurrency_limit_counts_requests_in_flight(
    start: Callable[[D365EmulatorConfig], RunningServer],
) -> None:
    # Injected latency keeps the first two requests in flight while the others arrive.
    running = start(
        D365EmulatorConfig(
            faults=FaultConfig(latency_ms=600, paths="^/data/"),
            throttle=ThrottleConfig(max_concurrent=2, retry_after_s=3),
        )
    )
    async with httpx.AsyncClient(base_url=running.url, headers={"Authorization": "Bearer local-dev-token"}) as c:
        responses = await asyncio.gather(*(c.get("/data/TaxGroups/$count") for _ in range(4)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 200, 429, 429]
        refused = next(r for r in responses if r.status_code == 429)
        assert refused.headers["Retry-After"] == "3"
        assert refused.json()["error"]["message"] == "Number of concurrent requests exceeded the limit of 2."
        log = (await c.get("/_emulator/requests")).json()
        assert sorted(e["status"] for e in log["requests"]) == [200, 200, 429, 429]


def test_command_line_prints_url_token_and_serves() -> None:
    with socket.socket() as probe:  # a free port for the child process
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[4]
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.emulators.d365",
            "--port",
            str(port),
            "--page-size",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.strip() == f"D365 F&O emulator on http://127.0.0.1:{port}"
        banner = "".join(child.stdout.readline() for _ in range(4))
        assert "local-dev-token" in banner and "/_emulator/state" in banner
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": "Bearer local-dev-token"},
            transport=httpx.HTTPTransport(retries=5),
        ) as c:
            for _ in range(50):  # the banner is printed just before the socket is bound
                try:
                    body = c.get(
                        "/data/DeliveryModesV2", params={"cross-company": "true", "$filter": "dataAreaId eq 'usmf'"}
                    ).json()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert len(body["value"]) == 2 and "@odata.nextLink" in body
    finally:
        child.terminate()
        child.wait(timeout=10)


def test_default_company_differs_from_the_seeded_one_by_default(
    start: Callable[[D365EmulatorConfig], RunningServer],
) -> None:
    """As a fresh F&O user: default company DAT, business data in USMF. Reads that do not name the
    company and say cross-company see nothing of it."""
    running = start(D365EmulatorConfig())
    with httpx.Client(base_url=running.url, headers={"Authorization": "Bearer local-dev-token"}) as client:
        plain = client.get("/data/CustomersV3", params={"$filter": "dataAreaId eq 'usmf'"}).json()["value"]
        assert plain == []
        key = "/data/CustomersV3(dataAreaId='usmf',CustomerAccount='US-001')"
        assert client.get(key).status_code == 404
        scoped = client.get(
            "/data/CustomersV3", params={"$filter": "dataAreaId eq 'usmf'", "cross-company": "true"}
        ).json()["value"]
        assert scoped and {c["dataAreaId"] for c in scoped} == {"usmf"}
        assert client.get(key, params={"cross-company": "true"}).status_code == 200
