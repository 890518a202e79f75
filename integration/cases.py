"""Cases for a person: one *exception* record per blocked document, visible, explained and retryable.

(Business exceptions, not Python ones: those are in ``integration/errors.py``. The name ``exception``
stays in the table, the entity of the ops API and the console, which is what operators see.)

A flow calls :meth:`ExceptionStore.open` when a document cannot go on (an unknown SKU, a total that
does not match, F&O refusing the write) with a stable reason code, a human message and the values
that failed. The record keeps first/last seen and the number of attempts; :meth:`resolve` closes it
when a later attempt succeeds. Every open/resolve is also a structured log event
(``exception.opened`` / ``exception.resolved``) that Application Insights can alert on.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from shared import tables
from shared.logs import correlation_id as current_correlation_id
from shared.logs import get_logger, log_event
from shared.redact import personal_values, redact, redact_text
from shared.storage import Storage, safe_key

OPEN, RESOLVED = "open", "resolved"

log = get_logger(__name__)


@dataclass
class ExceptionRecord:
    entity: str
    entity_id: str
    reason_code: str
    message: str
    values: dict[str, Any] = field(default_factory=dict)
    status: str = OPEN
    first_seen: str = ""
    last_seen: str = ""
    attempts: int = 0
    correlation_id: str = ""
    resolved_at: str = ""
    resolution: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _record(row: dict[str, Any]) -> ExceptionRecord:
    return ExceptionRecord(
        entity=row["PartitionKey"],
        entity_id=row.get("EntityId", row["RowKey"]),
        reason_code=row.get("ReasonCode", ""),
        message=row.get("Message", ""),
        values=json.loads(row.get("Values") or "{}"),
        status=row.get("Status", OPEN),
        first_seen=row.get("FirstSeen", ""),
        last_seen=row.get("LastSeen", ""),
        attempts=int(row.get("Attempts", 0)),
        correlation_id=row.get("CorrelationId", ""),
        resolved_at=row.get("ResolvedAt", ""),
        resolution=row.get("Resolution", ""),
    )


class ExceptionStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _table(self) -> Any:
        return self.storage.table(tables.EXCEPTIONS)

    def open(
        self,
        entity: str,
        entity_id: str,
        reason_code: str,
        message: str,
        values: dict[str, Any] | None = None,
        correlation_id: str = "",
    ) -> ExceptionRecord:
        """Open (or refresh) the exception for a document. Safe under concurrency (ETag retry)."""
        table = self._table()
        key = (safe_key(entity), safe_key(str(entity_id)))
        now = _now()
        cid = correlation_id or current_correlation_id.get()
        payload = {
            "ReasonCode": reason_code,
            # Free text (often F&O's own error) may quote an e-mail, a phone number or a name.
            "Message": redact_text(message, tuple(personal_values(values or {})))[:4000],
            "Values": json.dumps(redact(values or {}), default=str)[:30_000],
            "Status": OPEN,
            "LastSeen": now,
            "CorrelationId": cid,
            "ResolvedAt": "",
            "Resolution": "",
        }
        for attempt in range(40):
            if attempt:
                time.sleep(random.uniform(0, min(0.5, 0.02 * attempt)))  # spread out concurrent writers
            try:
                row = table.get_entity(*key)
            except ResourceNotFoundError:
                entity_row = {
                    "PartitionKey": key[0],
                    "RowKey": key[1],
                    "EntityId": str(entity_id),
                    "FirstSeen": now,
                    "Attempts": 1,
                    **payload,
                }
                try:
                    table.create_entity(entity_row)
                except ResourceExistsError:
                    continue
                result = _record(entity_row)
                break
            updated = {**row, **payload, "Attempts": int(row.get("Attempts", 0)) + 1}
            if row.get("Status") == RESOLVED:
                updated["FirstSeen"] = now  # a new occurrence after a resolution
            try:
                table.update_entity(
                    updated,
                    mode=UpdateMode.REPLACE,
                    etag=row.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
            except ResourceModifiedError:
                continue
            result = _record(updated)
            break
        else:
            raise RuntimeError(f"could not record exception for {entity} {entity_id}: too much contention")
        log_event(
            log,
            "exception.opened",
            entity=entity,
            entity_id=str(entity_id),
            reason_code=reason_code,
            attempts=result.attempts,
            correlation_id=cid,
        )
        return result

    def resolve(self, entity: str, entity_id: str, resolution: str) -> bool:
        """Close the open exception for a document, if there is one. Returns whether one was closed."""
        table = self._table()
        for _ in range(10):
            try:
                row = table.get_entity(safe_key(entity), safe_key(str(entity_id)))
            except ResourceNotFoundError:
                return False
            if row.get("Status") != OPEN:
                return False
            try:
                # ETag-checked: a new occurrence opened meanwhile must not be closed by this resolve.
                table.update_entity(
                    {
                        "PartitionKey": row["PartitionKey"],
                        "RowKey": row["RowKey"],
                        "Status": RESOLVED,
                        "ResolvedAt": _now(),
                        "Resolution": resolution[:1000],
                    },
                    mode=UpdateMode.MERGE,
                    etag=row.metadata["etag"],
                    match_condition=MatchConditions.IfNotModified,
                )
                break
            except ResourceModifiedError:
                continue
        else:
            return False
        log_event(
            log,
            "exception.resolved",
            entity=entity,
            entity_id=str(entity_id),
            reason_code=row.get("ReasonCode", ""),
            resolution=resolution,
        )
        return True

    def get(self, entity: str, entity_id: str) -> ExceptionRecord | None:
        try:
            return _record(self._table().get_entity(safe_key(entity), safe_key(str(entity_id))))
        except ResourceNotFoundError:
            return None

    def list(
        self, entity: str | None = None, status: str | None = OPEN, reason_code: str | None = None, limit: int = 100
    ) -> list[ExceptionRecord]:
        clauses, params = [], {}
        if entity:
            clauses.append("PartitionKey eq @entity")
            params["entity"] = safe_key(entity)
        if status:
            clauses.append("Status eq @status")
            params["status"] = status
        if reason_code:
            clauses.append("ReasonCode eq @reason")
            params["reason"] = reason_code
        rows = self._table().query_entities(" and ".join(clauses) or "PartitionKey ne ''", parameters=params)
        records = sorted((_record(r) for r in rows), key=lambda r: r.last_seen, reverse=True)
        return records[:limit]
