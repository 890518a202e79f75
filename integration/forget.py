"""``customers/redact`` for what the integration wrote itself: exception records and audit rows that
are about the customer or mention them.

Matched rows keep their step, outcome and times (the trail of what happened stays), and lose their
free text and snapshots: an exception's ``Message`` and ``Values``, an audit row's ``Details`` and
``Snapshot``. A row matches when it is about one of the customer's orders (or the customer), or its
text holds the customer's e-mail or phone, raw or as a fingerprint.
"""

from __future__ import annotations

from typing import Any

from azure.data.tables import UpdateMode

from shared import tables
from shared.audit import daily_writer
from shared.redact import fingerprint
from shared.storage import Storage

REDACTED_TEXT = "[redacted: customers/redact]"


def _needles(customer: dict[str, Any]) -> list[str]:
    found = []
    for name in ("email", "phone"):
        value = customer.get(name)
        if isinstance(value, str) and value.strip():
            found += [value.strip().lower(), fingerprint(value)]
    return [n for n in found if n and n != "[redacted]"]


def _mentions(row: dict[str, Any], fields: tuple[str, ...], needles: list[str]) -> bool:
    text = " ".join(str(row.get(f) or "") for f in fields).lower()
    return any(n.lower() in text for n in needles)


def _about(entity: str, entity_id: str, ids: set[str]) -> bool:
    if entity in ("order", "customer", "packing_slip"):
        return entity_id.split(":")[0] in ids or entity_id in ids
    if entity == "refund":  # "<order id>/<refund id>"
        return entity_id.split("/")[0] in ids
    return False


def forget_in_records(storage: Storage, customer: dict[str, Any], order_ids: list[str]) -> dict[str, int]:
    ids = {str(o) for o in order_ids}
    if customer.get("id"):
        ids.add(str(customer["id"]))
    needles = _needles(customer)
    counts = {"exceptions_redacted": 0, "audit_rows_redacted": 0}

    table = storage.table(tables.EXCEPTIONS)
    for row in table.list_entities():
        entity, entity_id = str(row["PartitionKey"]), str(row.get("EntityId") or row["RowKey"])
        if _about(entity, entity_id, ids) or _mentions(row, ("Message", "Values"), needles):
            if row.get("Message") == REDACTED_TEXT and row.get("Values") == "{}":
                continue
            table.update_entity(
                {
                    "PartitionKey": row["PartitionKey"],
                    "RowKey": row["RowKey"],
                    "Message": REDACTED_TEXT,
                    "Values": "{}",
                },
                mode=UpdateMode.MERGE,
            )
            counts["exceptions_redacted"] += 1

    daily_writer(storage).wait_idle()  # by-day rows still buffered in this process reach the table first
    for name in (tables.AUDIT, tables.AUDIT_DAILY):
        audit = storage.table(name)
        for row in audit.list_entities(select=["PartitionKey", "RowKey", "Entity", "EntityId", "Details", "Snapshot"]):
            about = _about(str(row.get("Entity") or ""), str(row.get("EntityId") or ""), ids)
            if not (about or _mentions(row, ("Details", "Snapshot"), needles)):
                continue
            if not row.get("Details") and not row.get("Snapshot"):
                continue
            audit.update_entity(
                {"PartitionKey": row["PartitionKey"], "RowKey": row["RowKey"], "Details": "", "Snapshot": ""},
                mode=UpdateMode.MERGE,
            )
            counts["audit_rows_redacted"] += 1
    return counts
