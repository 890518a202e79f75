"""The Dataverse part of the go-live preflight against the Dataverse emulator (real HTTP): the token,
the four alternate keys and the custom columns, read from the table definitions as the Web API serves
them; a wrong prefix and a bad token are reported with their fix; the flow off is one passing line."""

from __future__ import annotations

import httpx

from integration.doctor import run_doctor, summary
from sandbox.emulators.serve import RunningServer
from shared.settings import Settings, load_settings
from tests.crm_fixtures import TOKEN, dv_admin, dv_server

__all__ = ["dv_admin", "dv_server"]


def settings(server: RunningServer, **overrides: str) -> Settings:
    return load_settings({"DATAVERSE_URL": server.url, "DATAVERSE_TOKEN": TOKEN, **overrides})


def test_a_prepared_environment_passes(dv_server: RunningServer, dv_admin: httpx.Client) -> None:
    checks = run_doctor(settings(dv_server), "", ("dataverse",))
    names = [c.name for c in checks]
    assert names[0] == "token" and checks[0].ok is True
    assert {n for n in names if n.startswith("alternate key")} == {
        "alternate key contact.shop_shopifycustomerid",
        "alternate key account.shop_shopifycompanyid",
        "alternate key salesorder.shop_shopifyorderid",
        "alternate key salesorderdetail.shop_shopifylineid",
    }
    assert all(c.ok is True for c in checks), [c for c in checks if not c.ok]
    assert summary(checks)["ok"] is True
    counts = dv_admin.get("/_emulator/requests").json()["requests"]
    assert counts["GET EntityDefinitions"] == 8 and counts["GET WhoAmI"] == 1  # read from the definitions


def test_missing_keys_and_columns_are_reported_with_the_fix(dv_server: RunningServer, dv_admin: httpx.Client) -> None:
    checks = run_doctor(settings(dv_server, DATAVERSE_COLUMN_PREFIX="new_"), "", ("dataverse",))
    failed = {c.name: c for c in checks if c.ok is False}
    assert "alternate key salesorder.new_shopifyorderid" in failed
    assert "missing new_shopifyorderid" in failed["columns of salesorder"].detail
    assert all("Prerequisites" in c.fix for c in failed.values())
    assert summary(checks)["failed"] == 8  # 4 keys, 4 tables of columns


def test_a_key_still_building_and_a_column_never_created(dv_server: RunningServer, dv_admin: httpx.Client) -> None:
    customized = dv_admin.put(
        "/_emulator/metadata",
        json={"key_status": {"salesorder": "Pending"}, "drop_columns": {"salesorder": ["shop_invoicenumbers"]}},
    )
    assert customized.status_code == 200
    failed = {c.name: c for c in run_doctor(settings(dv_server), "", ("dataverse",)) if c.ok is False}
    assert set(failed) == {"alternate key salesorder.shop_shopifyorderid", "columns of salesorder"}
    assert "index status Pending" in failed["alternate key salesorder.shop_shopifyorderid"].detail
    assert failed["columns of salesorder"].detail == "missing shop_invoicenumbers"


def test_a_refused_token_is_one_failing_line(dv_server: RunningServer, dv_admin: httpx.Client) -> None:
    [check] = run_doctor(settings(dv_server, DATAVERSE_TOKEN="wrong"), "", ("dataverse",))
    assert (check.name, check.ok) == ("token", False) and "application user" in check.fix


def test_the_flow_off_is_not_a_failure() -> None:
    [check] = run_doctor(load_settings({}), "", ("dataverse",))
    assert check.ok is True and "off" in check.detail
