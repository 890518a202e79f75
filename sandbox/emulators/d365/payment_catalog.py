"""The customer payment journal entity sets for the F&O emulator's catalog (no emulator imports, so
``entities.py`` can merge them). Fields and keys are read from the vendored real-metadata catalog
``sandbox/samples/d365/catalog/entity_catalog.json`` and ``enums.json`` (provenance in their ``_about``)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sandbox import SAMPLES

HEADER_SET, LINE_SET = "CustomerPaymentJournalHeaders", "CustomerPaymentJournalLines"
HEADER_TABLE, LINE_TABLE = "LedgerJournalTable", "LedgerJournalTrans"

# set name -> (entity type, AOT entity, storage table, table label, read-only), as in entities._SETS
SETS: dict[str, tuple[str, str, str, str, bool]] = {
    HEADER_SET: (
        "CustomerPaymentJournalHeader",
        "LedgerJournalCustPaymJournalHeaderEntity",
        HEADER_TABLE,
        "Journal names",
        False,
    ),
    LINE_SET: (
        "CustomerPaymentJournalLine",
        "CustCustomerPaymentJournalLineEntity",
        LINE_TABLE,
        "Journal lines",
        False,
    ),
}
ENUM_NAMES = ("LedgerJournalAcType", "SettlementType", "NoYes")


@cache
def catalog_entries() -> dict[str, dict[str, Any]]:
    """The two entity sets in ``catalog.json``'s shape ({keys, fields: [[name, type]]})."""
    raw = json.loads((SAMPLES / "d365" / "catalog" / "entity_catalog.json").read_text(encoding="utf-8"))
    out = {}
    for name in SETS:
        entity = raw["entities"][name]
        out[name] = {"keys": entity["keys"], "fields": [[f["name"], f["type"]] for f in entity["fields"]]}
    return out


@cache
def catalog_enums() -> dict[str, list[list[Any]]]:
    raw = json.loads((SAMPLES / "d365" / "catalog" / "enums.json").read_text(encoding="utf-8"))
    found = raw.get("enums", raw)
    return {name: [[m["name"], m.get("value")] for m in found[name]["members"]] for name in ENUM_NAMES}
