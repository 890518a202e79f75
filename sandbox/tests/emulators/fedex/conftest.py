"""A fresh FedEx emulator per test (real HTTP on 127.0.0.1) and request builders."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandbox import SAMPLES as SAMPLE_ROOT
from sandbox.emulators.fedex import FedexEmulatorConfig, create_app
from sandbox.emulators.serve import start_in_thread

KIT = SAMPLE_ROOT / "fedex"
ACCOUNT = "740561073"
CREDENTIALS = {
    "grant_type": "client_credentials",
    "client_id": "local-fedex-client",
    "client_secret": "local-fedex-secret",
}
# A Monday, so business-day arithmetic in the assertions is easy to follow.
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC).timestamp()


class FakeClock:
    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Emulator:
    url: str
    http: httpx.Client
    config: FedexEmulatorConfig
    clock: FakeClock

    def token(self) -> str:
        response = self.http.post("/oauth/token", data=CREDENTIALS)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def rate(self, body: Any, token: str | None = None, **headers: str) -> httpx.Response:
        token = token or self.token()
        return self.http.post(
            "/rate/v1/rates/quotes", json=body, headers={"authorization": f"Bearer {token}", **headers}
        )


def _start(started: list[tuple[Any, httpx.Client]], **settings: Any) -> Emulator:
    clock = settings.pop("clock", None) or FakeClock()
    config = FedexEmulatorConfig(clock=clock, **settings)
    server = start_in_thread(create_app(config), name="fedex-emulator")
    http = httpx.Client(base_url=server.url, timeout=10)
    started.append((server, http))
    return Emulator(server.url, http, config, clock)


def _stop(started: list[tuple[Any, httpx.Client]]) -> None:
    for server, http in started:
        http.close()
        server.stop()


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    started: list[tuple[Any, httpx.Client]] = []
    yield lambda **settings: _start(started, **settings)
    _stop(started)


@pytest.fixture(scope="module")
def shared_emulator() -> Iterator[Emulator]:
    """One emulator for tests that only read (validation answers do not depend on earlier calls)."""
    started: list[tuple[Any, httpx.Client]] = []
    yield _start(started)
    _stop(started)


@pytest.fixture
def emulator(make_emulator: Callable[..., Emulator]) -> Emulator:
    return make_emulator()


def rate_request(**overrides: Any) -> dict[str, Any]:
    """The request our app sends: US domestic, residential flag, dims, ACCOUNT+LIST, transit times."""
    body: dict[str, Any] = {
        "accountNumber": {"value": ACCOUNT},
        "rateRequestControlParameters": {"returnTransitTimes": True},
        "requestedShipment": {
            "shipper": {
                "address": {
                    "postalCode": "65247",
                    "countryCode": "US",
                    "stateOrProvinceCode": "MO",
                    "residential": False,
                }
            },
            "recipient": {
                "address": {
                    "postalCode": "72348",
                    "countryCode": "US",
                    "stateOrProvinceCode": "AR",
                    "city": "Marion",
                    "residential": False,
                }
            },
            "pickupType": "DROPOFF_AT_FEDEX_LOCATION",
            "packagingType": "YOUR_PACKAGING",
            "rateRequestType": ["ACCOUNT", "LIST"],
            "shipDateStamp": "2026-11-23",
            "requestedPackageLineItems": [
                {
                    "weight": {"units": "LB", "value": 4.5},
                    "dimensions": {"length": 12, "width": 10, "height": 6, "units": "IN"},
                }
            ],
        },
    }
    for path, value in overrides.items():
        target: Any = body
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value
    return body


def karrio_request() -> dict[str, Any]:
    """FedEx's full-schema example (via karrio), with our account and a ship date in the window."""
    body = copy.deepcopy(json.loads((KIT / "karrio-full-schema-rate-request-example.json").read_text()))
    body["accountNumber"]["value"] = ACCOUNT
    body["requestedShipment"]["shipDateStamp"] = "2026-11-24"
    return body


def first_error(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) >= {"transactionId", "errors"}, body
    return body["errors"][0]["code"]


def reply(response: httpx.Response, service: str, rate_type: str = "ACCOUNT") -> dict[str, Any]:
    assert response.status_code == 200, response.text
    for detail in response.json()["output"]["rateReplyDetails"]:
        if detail["serviceType"] == service:
            for rated in detail["ratedShipmentDetails"]:
                if rated["rateType"] == rate_type:
                    return rated
    raise AssertionError(f"{service}/{rate_type} not in reply")
