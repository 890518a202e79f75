"""The F&O business event that says "a packing slip was posted" (or its tracking changed).

F&O has no standard packing-slip business event (reference d365.md §4): this is the custom event a
deployment adds on packing-slip posting (an X++ extension, per Microsoft's business-events developer
guide), bound to an HTTPS endpoint pointing at ``POST /api/d365/events/packing-slip``. Its body is the
standard envelope (``BusinessEventId``, ``BusinessEventLegalEntity``, ``ControlNumber``, ``EventId``,
``EventTime``/``EventTimeIso8601``, ``MajorVersion``, ``MinorVersion``, ...; see
sandbox/samples/d365) plus the packing slip's ``SalesId`` (or ``SalesOrderNumber``) and
``PackingSlipId`` (or ``PackingSlipNumber``). The event only names the slip: the flow reads the slip
itself from OData, so a stale or replayed event cannot make it apply old data.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from integration.fulfillment.model import SlipRef
from shared.limits import bad_id


class EventError(ValueError):
    """The body is not a packing-slip business event (answered 400; F&O's retries will not fix it)."""

    status = 400


class TooManyEvents(EventError):
    status = 413


# F&O sends one event per request; an Event Grid style batch is bounded so a caller cannot make one
# request cost hundreds of F&O reads.
MAX_EVENTS = 50
# SalesId and PackingSlipId are short codes in F&O (20 characters in standard EDTs).
MAX_DOCUMENT_ID_CHARS = 64


def _document_id(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{name} must be a string")
    return str(value).strip()


class PackingSlipEvent(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    business_event_id: str = Field(default="", alias="BusinessEventId")
    legal_entity: str = Field(default="", alias="BusinessEventLegalEntity")
    control_number: int = Field(default=0, alias="ControlNumber")
    event_id: str = Field(default="", alias="EventId")
    event_time: str = Field(default="", alias="EventTimeIso8601")
    sales_order: str = ""
    packing_slip: str = ""

    @model_validator(mode="before")
    @classmethod
    def _slip_fields(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("the event must be a JSON object")
        data = dict(data)
        data["sales_order"] = _document_id(data.get("SalesId") or data.get("SalesOrderNumber"), "SalesId")
        data["packing_slip"] = _document_id(data.get("PackingSlipId") or data.get("PackingSlipNumber"), "PackingSlipId")
        return data

    @property
    def ref(self) -> SlipRef:
        return SlipRef(self.sales_order, self.packing_slip)


def parse_events(body: Any, legal_entity: str) -> list[PackingSlipEvent]:
    """One event or a list of them (Event Grid style). Events of another legal entity are refused:
    the app talks to one ``dataAreaId`` and must not sync another company's slip by number."""
    items = body if isinstance(body, list) else [body]
    if not items:
        raise EventError("no event in the body")
    if len(items) > MAX_EVENTS:
        raise TooManyEvents(f"{len(items)} events in one request; at most {MAX_EVENTS}")
    events = []
    for index, item in enumerate(items):
        try:
            event = PackingSlipEvent.model_validate(item)
        except ValidationError as error:
            raise EventError(f"event {index}: {error.errors()[0]['msg']}") from None
        if not event.sales_order or not event.packing_slip:
            raise EventError(f"event {index}: SalesId and PackingSlipId are required")
        for name, value in (("SalesId", event.sales_order), ("PackingSlipId", event.packing_slip)):
            problem = bad_id(value, name, MAX_DOCUMENT_ID_CHARS)
            if problem:
                raise EventError(f"event {index}: {problem}")
        if event.legal_entity and legal_entity and event.legal_entity.casefold() != legal_entity.casefold():
            raise EventError(f"event {index}: legal entity {event.legal_entity!r} is not {legal_entity!r}")
        events.append(event)
    return events
