"""The business-event handler that turns a packing-slip event's body into an HTTP answer (the
FulfillmentSync it drives comes from ``integration.bootstrap.fulfillment_sync``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from integration.clients.d365 import D365Transient, odata_literal
from integration.errors import is_transient
from integration.fulfillment.events import EventError, parse_events
from integration.fulfillment.model import SlipRef
from integration.fulfillment.service import FulfillmentSync
from integration.fulfillment.source import JOURNAL
from shared.limits import json_problem
from shared.logs import get_logger, log_event

log = get_logger(__name__)


@dataclass
class EventAnswer:
    status: int
    body: dict[str, Any]


def slip_exists(sync: FulfillmentSync, ref: SlipRef) -> bool:
    """Whether F&O has this posted packing slip (one OData read of the journal header)."""
    slip_filter = f"SalesId eq {odata_literal(ref.sales_order)} and PackingSlipId eq {odata_literal(ref.packing_slip)}"
    return sync.source.d365.find(JOURNAL, slip_filter, select=["SalesId"]) is not None


def handle_packing_slip_event(raw: bytes, sync: FulfillmentSync, legal_entity: str) -> EventAnswer:
    """400 for a body that is not a packing-slip event; 503 (F&O's HTTPS endpoint retries, and the timer
    picks the slip up anyway) when F&O or Shopify is unavailable; 200 with each slip's outcome."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, RecursionError):
        return EventAnswer(400, {"reason": "body is not JSON"})
    problem = json_problem(body)
    if problem:
        return EventAnswer(400, {"reason": problem})
    try:
        events = parse_events(body, legal_entity)
    except EventError as error:
        return EventAnswer(error.status, {"reason": str(error)})
    results: list[dict[str, Any]] = []
    for event in events:
        try:
            posted = slip_exists(sync, event.ref)
        except D365Transient as error:
            return EventAnswer(503, {"reason": f"temporarily unavailable: {type(error).__name__}", "results": results})
        if not posted:
            # Nothing is recorded for a slip F&O does not have: a junk event leaves no trace in storage.
            results.append({"packing_slip": event.packing_slip, "outcome": "not_found"})
            continue
        log_event(
            log,
            "fulfillment.event",
            event_id=event.event_id,
            control_number=event.control_number,
            business_event=event.business_event_id,
            sales_order=event.sales_order,
            packing_slip=event.packing_slip,
        )
        try:
            results.append(sync.sync_slip(event.ref).as_dict())
        except Exception as error:
            if is_transient(error):
                reason = f"temporarily unavailable: {type(error).__name__}"
                return EventAnswer(503, {"reason": reason, "results": results})
            # permanent: an exception for a person; the event itself was fine
            sync.exceptions.open(
                "packing_slip",
                event.ref.entity_id,
                "sync_error",
                f"{type(error).__name__}: {error}"[:1000],
                {"sales_order": event.sales_order, "packing_slip": event.packing_slip},
            )
            results.append({"packing_slip": event.packing_slip, "outcome": "exception", "error": type(error).__name__})
    return EventAnswer(200, {"results": results})
