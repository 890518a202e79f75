"""The metadata reads the integration's ``doctor`` makes, served from the emulator's schema as the Web
API serves them (learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api):

* ``GET WhoAmI`` (function; ``WhoAmI()`` too): ``BusinessUnitId``, ``UserId``, ``OrganizationId``;
* ``GET EntityDefinitions(LogicalName='<table>')/Keys``: EntityKeyMetadata (``LogicalName``,
  ``SchemaName``, ``KeyAttributes``, ``EntityKeyIndexStatus`` -- ``Active`` once the key's index is built);
* ``GET EntityDefinitions(LogicalName='<table>')/Attributes``: AttributeMetadata (``LogicalName``,
  ``AttributeType``: String, Memo, Money, Integer, Boolean, Decimal, Lookup, Uniqueidentifier...).

``$select`` limits the properties; ``$filter`` is not supported here (the real service supports only a
subset on metadata too), so the caller filters. An unknown table is a 404 as in Dataverse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sandbox.emulators.dataverse import schema
from sandbox.emulators.dataverse.wire import DataverseFault, Reply, json_reply

WHO_AM_I = {
    "BusinessUnitId": "6f4a3c1e-0000-4e00-8a00-00000000b001",
    "UserId": "6f4a3c1e-0000-4e00-8a00-00000000a001",
    "OrganizationId": "6f4a3c1e-0000-4e00-8a00-00000000c001",
}
_DEFINITION = re.compile(r"^EntityDefinitions\(LogicalName='(?P<table>[a-z_0-9]+)'\)/(?P<part>Keys|Attributes)$")
MEMO = frozenset({"trackingnumbers", "creditnotes", "invoicenumbers", "notetext", "description"})


def is_metadata(path: str) -> bool:
    return path in ("WhoAmI", "WhoAmI()") or path.startswith("EntityDefinitions")


def handle(
    tables: Mapping[str, schema.Table],
    prefix: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    key_status: Mapping[str, str] | None = None,
) -> Reply:
    if method != "GET":
        raise DataverseFault(405, "0x80048d19", f"{method} is not supported on '{path}'.")
    if path in ("WhoAmI", "WhoAmI()"):
        return json_reply(200, {"@odata.context": "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse", **WHO_AM_I})
    match = _DEFINITION.match(path)
    if match is None:
        raise DataverseFault(400, "0x80060888", f"The emulator serves only Keys and Attributes, not '{path}'.")
    table = next((t for t in tables.values() if t.logical == match["table"]), None)
    if table is None:
        raise DataverseFault(404, "0x80040217", f"Could not find an entity with name {match['table']}.")
    if match["part"] == "Keys":
        rows = [
            {
                "LogicalName": f"{prefix}{'_'.join(c.removeprefix(prefix) for c in key)}key",
                "SchemaName": f"{prefix}{'_'.join(c.removeprefix(prefix) for c in key)}key",
                "EntityLogicalName": table.logical,
                "KeyAttributes": list(key),
                "EntityKeyIndexStatus": (key_status or {}).get(table.logical, "Active"),
            }
            for key in table.keys
        ]
    else:
        names = sorted(table.columns | {table.primary_id} | {column for column, _ in table.lookups.values()})
        rows = [
            {"LogicalName": n, "AttributeType": _type(table, n, prefix), "EntityLogicalName": table.logical}
            for n in names
        ]
    select = [s for s in params.get("$select", "").split(",") if s]
    if select:
        rows = [{k: v for k, v in row.items() if k in select} for row in rows]
    return json_reply(200, {"value": rows})


def _type(table: schema.Table, name: str, prefix: str) -> str:
    if name == table.primary_id:
        return "Uniqueidentifier"
    if any(name == column for column, _ in table.lookups.values()):
        return "Customer" if name == "customerid" else "Lookup"
    if name in ("statecode",):
        return "State"
    if name in ("statuscode",):
        return "Status"
    bare = name.removeprefix(prefix)
    if bare in MEMO:
        return "Memo"
    if name.endswith("amount") or name in ("priceperunit", "tax", "baseamount", "extendedamount"):
        return "Money"
    if name in ("quantity", "exchangerate", "discountpercentage"):
        return "Decimal"
    if name.startswith("date") or name.endswith("on"):
        return "DateTime"
    if name.startswith("is"):
        return "Boolean"
    if name == "lineitemnumber":
        return "Integer"
    return "String"
