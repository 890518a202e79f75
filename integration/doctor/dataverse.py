"""Dataverse preflight (only with ``DATAVERSE_URL`` set): the token (``WhoAmI`` as the application
user), the alternate keys and the custom columns the CRM flow needs (docs/flows/crm.md § Prerequisites),
read from the table definitions (``EntityDefinitions(LogicalName=...)/Keys`` and ``/Attributes``).
Read-only."""

from __future__ import annotations

from functools import partial

from integration.clients.dataverse import DataverseAuthError, DataverseClient
from integration.crm.config import CrmConfig
from integration.doctor.check import Check, guarded
from shared.settings import Settings

SYSTEM = "Dataverse"
PREREQUISITES = "create it as docs/flows/crm.md § Prerequisites in Dataverse describes"


def checks(settings: Settings) -> list[Check]:
    if settings.DATAVERSE_URL is None:
        return [Check(SYSTEM, "CRM flow", True, "off (DATAVERSE_URL is not set): nothing to check")]
    client = DataverseClient.from_settings(settings)
    try:
        return run(client, CrmConfig.from_settings(settings))
    finally:
        client.close()


def run(client: DataverseClient, config: CrmConfig) -> list[Check]:
    token_fix = (
        "check DATAVERSE_TENANT_ID / DATAVERSE_CLIENT_ID / DATAVERSE_CLIENT_SECRET (or the managed identity), and "
        "that the app registration is an application user with a security role in the environment"
    )
    try:
        user = client.who_am_i()
    except DataverseAuthError as error:
        return [Check(SYSTEM, "token", False, f"{error.status}: {error.message[:200]}", token_fix)]
    out = [Check(SYSTEM, "token", True, f"application user {user.get('UserId', '?')}")]
    for table, column in config.alternate_keys().items():
        out += guarded(SYSTEM, f"alternate key {table}.{column}", PREREQUISITES, partial(_key, client, table, column))
    for table, columns in config.custom_columns().items():
        out += guarded(SYSTEM, f"columns of {table}", PREREQUISITES, partial(_columns, client, table, columns))
    return out


def _key(client: DataverseClient, table: str, column: str) -> Check:
    name = f"alternate key {table}.{column}"
    keys = client.definitions(table, "Keys", ["LogicalName", "KeyAttributes", "EntityKeyIndexStatus"])
    found = [k for k in keys if list(k.get("KeyAttributes") or []) == [column]]
    if not found:
        return Check(SYSTEM, name, False, f"no alternate key of {table} on exactly [{column}]", PREREQUISITES)
    status = str(found[0].get("EntityKeyIndexStatus", ""))
    if status != "Active":
        fix = "wait for Dataverse to build the key's index; a Failed key must be deleted and created again"
        return Check(SYSTEM, name, False, f"key {found[0].get('LogicalName')} index status {status}", fix)
    return Check(SYSTEM, name, True, f"key {found[0].get('LogicalName')} Active")


def _columns(client: DataverseClient, table: str, wanted: list[tuple[str, str]]) -> Check:
    name = f"columns of {table}"
    have = {
        str(a["LogicalName"]): str(a.get("AttributeType", ""))
        for a in client.definitions(table, "Attributes", ["LogicalName", "AttributeType"])
    }
    missing = [c for c, _ in wanted if c not in have]
    wrong = [f"{c} is {have[c]}, not {t}" for c, t in wanted if c in have and have[c] != t]
    if missing or wrong:
        detail = "; ".join(([f"missing {', '.join(missing)}"] if missing else []) + wrong)
        return Check(SYSTEM, name, False, detail, PREREQUISITES)
    return Check(SYSTEM, name, True, ", ".join(c for c, _ in wanted))
