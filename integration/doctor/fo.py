"""F&O preflight: token, ``$metadata`` against what the code uses, number sequences, master data."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from integration.clients.d365 import D365Client, odata_literal
from integration.doctor.check import Check, guarded
from integration.doctor.usage import fo_usage
from integration.mappings import load_mappings
from shared.settings import Settings

SYSTEM = "F&O"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def parse_metadata(xml: bytes) -> dict[str, set[str]]:
    """Entity set -> property names, from an EDMX document."""
    root = ET.fromstring(xml)
    types = {
        t.get("Name", ""): {p.get("Name", "") for p in t.iter(f"{EDM}Property")} for t in root.iter(f"{EDM}EntityType")
    }
    return {
        s.get("Name", ""): types.get(s.get("EntityType", "").rsplit(".", 1)[-1], set())
        for s in root.iter(f"{EDM}EntitySet")
    }


def checks(settings: Settings) -> list[Check]:
    if not settings.D365_URL or not settings.D365_LEGAL_ENTITY:
        return [Check(SYSTEM, "settings", False, "D365_URL / D365_LEGAL_ENTITY not set", "set both app settings")]
    client = D365Client.from_settings(settings)
    try:
        out: list[Check] = []
        metadata: dict[str, set[str]] = {}

        def token_and_metadata() -> list[Check]:
            response = client.http.get(
                f"{client.root}/$metadata", headers={"Authorization": f"Bearer {client.token()}"}
            )
            if response.status_code in (401, 403):
                return [
                    Check(
                        SYSTEM,
                        "token",
                        False,
                        f"HTTP {response.status_code}",
                        "check D365_TENANT_ID/CLIENT_ID/CLIENT_SECRET and the Entra app's F&O user",
                    )
                ]
            response.raise_for_status()
            metadata.update(parse_metadata(response.content))
            return [Check(SYSTEM, "token", True, "accepted")]

        out += guarded(SYSTEM, "token", "check the D365_* credentials and D365_URL", token_and_metadata)
        if metadata:
            for entity, fields in fo_usage().items():
                if entity not in metadata:
                    out.append(
                        Check(
                            SYSTEM,
                            f"entity {entity}",
                            False,
                            "not in $metadata",
                            "enable/publish the data entity (or refresh the entity list)",
                        )
                    )
                    continue
                missing = sorted(fields - metadata[entity])
                out.append(
                    Check(
                        SYSTEM,
                        f"entity {entity}",
                        not missing,
                        f"missing fields: {', '.join(missing)}" if missing else f"{len(fields)} field(s) present",
                        "extend the entity with these fields" if missing else "",
                    )
                )
        out += guarded(
            SYSTEM,
            "number sequences",
            "check SequenceV2Tables / NumberSequencesV2References are published, then the sequences by hand",
            lambda: _number_sequences(client, settings.D365_LEGAL_ENTITY),
        )
        out += guarded(
            SYSTEM,
            "master data",
            "create the missing records in the legal entity",
            lambda: _master_data(client, settings),
        )
        return out
    finally:
        client.close()


# F&O data type (EDT) of each number the app chooses itself -> what it numbers.
SEQUENCE_DATA_TYPES = {
    "SalesId": "sales orders (SalesOrderNumber)",
    "ReturnItemNum": "return orders (ReturnOrderNumber/RMANumber)",
    "CustAccount": "customers (CustomerAccount)",
}


def _number_sequences(client: D365Client, legal_entity: str) -> list[Check]:
    """The app sends its own sales order, return order and customer numbers, so their number
    sequences must accept a given number: ``Manual`` = Yes, or both ``ToALowerNumber`` and
    ``ToAHigherNumber`` ("allow user changes"). Number sequences are shared entities (no
    ``dataAreaId``): the reference of the legal entity is the ``DataArea``-scoped row whose
    ``ScopeValue`` is the company, else a shared one (empty ``ScopeValue``)."""
    out = []
    company = legal_entity.casefold()
    for data_type, what in SEQUENCE_DATA_TYPES.items():
        name = f"number sequence {data_type}"
        references = list(
            client.query(
                "NumberSequencesV2References",
                filter=f"DataTypeName eq {odata_literal(data_type)}",
                select=["ScopeType", "ScopeValue", "DataTypeName", "NumberSequenceCode"],
            )
        )
        scoped = [r for r in references if str(r.get("ScopeValue") or "").casefold() == company]
        shared = [r for r in references if not r.get("ScopeValue")]
        reference: dict[str, Any] = (scoped or shared or [{}])[0]
        code = str(reference.get("NumberSequenceCode") or "")
        if not code:
            out.append(
                Check(
                    SYSTEM,
                    name,
                    False,
                    f"no number sequence reference for {what} in {legal_entity}",
                    "Organization administration > Number sequences: generate or assign the reference",
                )
            )
            continue
        scope_value = str(reference.get("ScopeValue") or "")
        sequence = client.find(
            "SequenceV2Tables",
            f"NumberSequenceCode eq {odata_literal(code)} and ScopeValue eq {odata_literal(scope_value)}",
            select=["NumberSequenceCode", "Manual", "ToALowerNumber", "ToAHigherNumber"],
        )
        if sequence is None:
            out.append(Check(SYSTEM, name, False, f"sequence {code} of {what} not found", "fix the reference"))
            continue
        manual = sequence.get("Manual") == "Yes"
        changes = sequence.get("ToALowerNumber") == "Yes" and sequence.get("ToAHigherNumber") == "Yes"
        out.append(
            Check(
                SYSTEM,
                name,
                manual or changes,
                f"{code}: "
                + ("manual" if manual else "user changes allowed" if changes else "automatic only")
                + f" ({what})",
                ""
                if manual or changes
                else f"number sequence {code}: set Manual = Yes (or allow changes to a lower and a higher number)",
            )
        )
    return out


def _exists(client: D365Client, entity: str, field: str, value: str) -> bool:
    return client.find(entity, f"{field} eq {odata_literal(value)}", select=[field]) is not None


def _master_data(client: D365Client, settings: Settings) -> list[Check]:
    mappings = load_mappings()
    out = []
    freight = settings.D365_FREIGHT_ITEM
    out.append(
        Check(
            SYSTEM,
            f"freight item {freight}",
            _exists(client, "ReleasedProductsV2", "ItemNumber", freight),
            "",
            "release the freight item in the legal entity or set D365_FREIGHT_ITEM",
        )
    )
    guest = str(mappings.policy("guest_account") or "")
    if mappings.guest_policy == "account" and guest:
        out.append(
            Check(
                SYSTEM,
                f"guest account {guest}",
                _exists(client, "CustomersV3", "CustomerAccount", guest),
                "",
                "create the guest customer account or change policies.guest_account",
            )
        )
    for mode in sorted({str(v) for v in mappings.shipping_methods.values() if v}):
        out.append(
            Check(
                SYSTEM,
                f"delivery mode {mode}",
                _exists(client, "DeliveryModesV2", "ModeCode", mode),
                "",
                "create the delivery mode or fix mappings.shipping_methods",
            )
        )
    out.append(
        Check(
            SYSTEM,
            "warehouses",
            None,
            "the mapping's sites/warehouses are not checked through OData here",
            "check them in Inventory management > Warehouses",
        )
    )
    return out
