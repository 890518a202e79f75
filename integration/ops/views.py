"""Read models for operators: dashboard counts and a document's timeline.

Conventions the flows follow so these views work: audit rows and exceptions use the entity names
``order``, ``refund``, ``packing_slip``, ``customer``; the step that puts a document in its target
system is a milestone (``shared.audit.MILESTONES``), counted as synced.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from integration.cases import OPEN, ExceptionStore
from integration.ops.queues import depths
from integration.rates.quotes import day_counts
from shared import tables
from shared.audit import AuditLog, is_milestone
from shared.storage import Storage


def dashboard(storage: Storage, day: str | None = None) -> dict[str, Any]:
    day = day or datetime.now(UTC).strftime("%Y-%m-%d")
    entries = AuditLog(storage).day(day)
    synced = Counter(e.entity for e in entries if is_milestone(e.entity, e.step, e.outcome))
    failed = Counter(e.entity for e in entries if not is_milestone(e.entity, e.step, e.outcome))
    open_exceptions = ExceptionStore(storage).list(status=OPEN, limit=10_000)
    by_reason = Counter(f"{e.entity}:{e.reason_code}" for e in open_exceptions)
    rates = day_counts(storage, day)
    served = sum(rates.values())
    return {
        "day": day,
        "synced": dict(synced),
        "failed": dict(failed),
        "open_exceptions": len(open_exceptions),
        "exceptions_by_reason": dict(by_reason),
        "queues": depths(storage),
        "rate_quotes": dict(rates),
        "rate_cache_hit_ratio": round(rates.get("cache", 0) / served, 3) if served else None,
    }


def timeline(storage: Storage, entity: str, entity_id: str) -> dict[str, Any]:
    """Everything the integration knows about one document, oldest first."""
    events: list[dict[str, Any]] = []
    if entity in ("order", "refund"):
        # Webhooks carry the order id for both (a refund's id is "<order id>/<refund id>").
        rows = storage.table(tables.WEBHOOKS).query_entities(
            "ResourceId eq @id",
            parameters={"id": str(entity_id).split("/")[0]},
            select=["Topic", "WebhookId", "Status", "ReceivedAt", "CorrelationId", "RowKey"],
        )
        for row in rows:
            if str(row.get("RowKey", "")).startswith(("w_", "e_")):  # one record per delivery
                events.append(
                    {
                        "at": row.get("ReceivedAt", ""),
                        "source": "shopify",
                        "step": f"webhook {row['Topic']}",
                        "outcome": row.get("Status", ""),
                        "correlation_id": row.get("CorrelationId", ""),
                        "details": {"webhook_id": row.get("WebhookId")},
                    }
                )
    for entry in AuditLog(storage).timeline(entity, entity_id):
        events.append(
            {
                "at": entry.at,
                "source": "integration",
                "step": entry.step,
                "outcome": entry.outcome,
                "target": entry.target,
                "correlation_id": entry.correlation_id,
                "duration_ms": entry.duration_ms,
                "details": entry.details,
            }
        )
    exception = ExceptionStore(storage).get(entity, entity_id)
    events.sort(key=lambda e: e["at"])
    return {
        "entity": entity,
        "id": str(entity_id),
        "events": events,
        "exception": asdict(exception) if exception else None,
    }
