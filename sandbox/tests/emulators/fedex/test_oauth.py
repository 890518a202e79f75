"""OAuth client credentials: success shape, FedEx's error codes, expiry."""

from __future__ import annotations

from sandbox.tests.emulators.fedex.conftest import CREDENTIALS, Emulator, first_error, rate_request


def test_token_has_fedex_success_shape(emulator: Emulator) -> None:
    response = emulator.http.post("/oauth/token", data=CREDENTIALS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3599 and body["scope"] == "CXS"
    assert body["access_token"].startswith("eyJ")


def test_bad_credentials_are_401_not_authorized(emulator: Emulator) -> None:
    response = emulator.http.post("/oauth/token", data={**CREDENTIALS, "client_secret": "wrong"})
    assert response.status_code == 401
    assert first_error(response) == "NOT.AUTHORIZED.ERROR"
    assert emulator.http.get("/_emulator/state").json()["counts"]["token_failures"] == 1


def test_missing_fields_grant_type_and_content_type_are_rejected(emulator: Emulator) -> None:
    missing = emulator.http.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x"})
    child = emulator.http.post("/oauth/token", data={**CREDENTIALS, "grant_type": "csp_credentials"})
    grant = emulator.http.post("/oauth/token", data={**CREDENTIALS, "grant_type": "password"})
    as_json = emulator.http.post("/oauth/token", json=CREDENTIALS)
    for response in (missing, child, grant, as_json):
        assert response.status_code == 400
        assert first_error(response) == "INVALID.INPUT.EXCEPTION"


def test_child_credentials_grant(emulator: Emulator) -> None:
    response = emulator.http.post(
        "/oauth/token",
        data={**CREDENTIALS, "grant_type": "client_pc_credentials", "child_Key": "k", "child_secret": "s"},
    )
    assert response.status_code == 200


def test_rate_needs_a_bearer_token(emulator: Emulator) -> None:
    missing = emulator.http.post("/rate/v1/rates/quotes", json=rate_request())
    unknown = emulator.rate(rate_request(), token="not-a-token")
    assert (missing.status_code, unknown.status_code) == (401, 401)
    assert first_error(missing) == first_error(unknown) == "NOT.AUTHORIZED.ERROR"


def test_token_expires_after_its_lifetime(make_emulator) -> None:
    emulator = make_emulator(token_lifetime_s=60)
    token = emulator.token()
    assert emulator.rate(rate_request(), token).status_code == 200
    emulator.clock.advance(61)
    expired = emulator.rate(rate_request(), token)
    assert expired.status_code == 401
    assert first_error(expired) == "NOT.AUTHORIZED.ERROR"
    assert expired.json()["errors"][0]["message"].startswith("Access token expired")
    assert emulator.rate(rate_request(), emulator.token()).status_code == 200


def test_token_lifetime_is_configurable_at_run_time(emulator: Emulator) -> None:
    assert emulator.http.put("/_emulator/config", json={"token_lifetime_s": 5}).status_code == 200
    assert emulator.http.post("/oauth/token", data=CREDENTIALS).json()["expires_in"] == 5


def test_admin_expire_tokens(emulator: Emulator) -> None:
    token = emulator.token()
    assert emulator.http.post("/_emulator/expire-tokens").json() == {"expired": 1}
    assert emulator.rate(rate_request(), token).status_code == 401
