"""Rate limit (1400 per 10 s style), seeded fault injection, admin endpoints."""

from __future__ import annotations

from decimal import Decimal

from sandbox.emulators.faults import FaultConfig
from sandbox.tests.emulators.fedex.conftest import Emulator, first_error, rate_request, reply


def test_rate_limit_window(make_emulator) -> None:
    emulator = make_emulator(rate_limit=5, rate_window_s=10)
    token = emulator.token()
    statuses = [emulator.rate(rate_request(), token).status_code for _ in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    limited = emulator.rate(rate_request(), token)
    assert first_error(limited) == "TOO.MANY.REQUESTS"
    assert limited.headers["retry-after"] == "10"
    emulator.clock.advance(10)
    assert emulator.rate(rate_request(), token).status_code == 200
    assert emulator.http.get("/_emulator/state").json()["rate_limited"] == 3


def test_default_limit_is_fedex_1400_per_10_s(emulator: Emulator) -> None:
    config = emulator.http.get("/_emulator/state").json()["config"]
    assert (config["rate_limit"], config["rate_window_s"]) == (1400, 10.0)


def test_daily_quota(make_emulator) -> None:
    emulator = make_emulator(daily_quota=2)
    token = emulator.token()
    assert [emulator.rate(rate_request(), token).status_code for _ in range(3)] == [200, 200, 429]
    emulator.clock.advance(86400)
    tomorrow = rate_request(requestedShipment__shipDateStamp="2026-11-24")
    assert emulator.rate(tomorrow, emulator.token()).status_code == 200


def _statuses(make_emulator, seed: int) -> list[int]:
    emulator = make_emulator(faults=FaultConfig(seed=seed, rate_500=0.3, rate_503=0.2, rate_429=0.1, paths="^/rate/"))
    token = emulator.token()
    return [emulator.rate(rate_request(), token).status_code for _ in range(20)]


def test_faults_repeat_under_a_seed(make_emulator) -> None:
    first, second = _statuses(make_emulator, 11), _statuses(make_emulator, 11)
    assert first == second
    assert {200, 500} <= set(first)
    assert _statuses(make_emulator, 12) != first


def test_state_reset_and_price_config(emulator: Emulator) -> None:
    token = emulator.token()
    before = reply(emulator.rate(rate_request(), token), "FEDEX_GROUND", "LIST")
    emulator.rate(rate_request(accountNumber={"value": "1"}), token)
    state = emulator.http.get("/_emulator/state").json()
    assert state["counts"] == {"token_requests": 1, "tokens_issued": 1, "rate_requests": 2, "rate_ok": 1, "rate_400": 1}
    assert [r["status"] for r in state["last_requests"]] == [200, 200, 400]
    assert state["active_tokens"] == 1
    changed = emulator.http.put("/_emulator/config", json={"price_factor": "2", "fuel_surcharge_percent": 0})
    assert changed.status_code == 200
    after = reply(emulator.rate(rate_request(), token), "FEDEX_GROUND", "LIST")
    assert Decimal(str(after["totalBaseCharge"])) == 2 * Decimal(str(before["totalBaseCharge"]))
    assert after["shipmentRateDetail"]["fuelSurchargePercent"] == 0
    assert emulator.http.put("/_emulator/config", json={"bogus": 1}).status_code == 400
    assert emulator.http.post("/_emulator/reset").status_code == 200
    state = emulator.http.get("/_emulator/state").json()
    assert (state["counts"], state["active_tokens"], state["last_requests"]) == ({}, 0, [])
    assert emulator.rate(rate_request(), token).status_code == 401  # tokens forgotten too
