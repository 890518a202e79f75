"""Shared by the CRM tests: a Dataverse emulator on a free loopback port and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from integration.clients.dataverse import DataverseClient
from sandbox.emulators.dataverse import DataverseEmulatorConfig, create_app
from sandbox.emulators.serve import RunningServer, start_in_thread
from shared.http import RetryPolicy

TOKEN = "local-dataverse-token"


@pytest.fixture(scope="module")
def dv_server() -> Iterator[RunningServer]:
    running = start_in_thread(create_app(DataverseEmulatorConfig()), name="dataverse-emulator")
    yield running
    running.stop()


@pytest.fixture
def dv_admin(dv_server: RunningServer) -> Iterator[httpx.Client]:
    """The operator API, with the emulator reset (no rows, no faults, no limits)."""
    with httpx.Client(base_url=dv_server.url, timeout=10) as admin:
        assert admin.post("/_emulator/reset").status_code == 200
        admin.put("/_emulator/faults", json={})
        admin.put("/_emulator/throttle", json={})
        yield admin


def fast_policy(sleeps: list[float] | None = None) -> RetryPolicy:
    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, max_retry_after=2, deadline=20, sleep=sleep)


@pytest.fixture
def dv(dv_server: RunningServer, dv_admin: httpx.Client) -> Iterator[DataverseClient]:
    client = DataverseClient(dv_server.url, lambda: TOKEN, policy=fast_policy())
    yield client
    client.close()


def rows(admin: httpx.Client, entity_set: str) -> list[dict]:
    response = admin.get(f"/_emulator/rows/{entity_set}")
    assert response.status_code == 200
    return list(response.json())
