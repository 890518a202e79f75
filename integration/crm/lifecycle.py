"""Lifecycle of the CRM order: state / status-reason changes, idempotent per event.

* cancellation (``orders/cancelled`` or ``cancelled_at``) -> ``CancelSalesOrder`` (Canceled / No Money);
* partial fulfillment -> Submitted / In Progress (an open order: later lines and refunds still fit);
* full fulfillment -> ``FulfillSalesOrder`` (Fulfilled / Complete);
* each fulfillment's tracking numbers -> the ``<prefix>trackingnumbers`` column (written with the
  order) and one note (``annotation``) per fulfillment;
* ``refunds/create`` -> the refunded total and F&O credit note numbers on the order (while it is
  open: Dataverse refuses edits of a closed order) and one note per refund.

Idempotency: a state change is made only when the order is not in the target state yet (a redelivery
finds it there and does nothing); notes have deterministic ids (uuid5 of the Shopify id) and are
upserted, so a retry rewrites the same note. The close actions are not resent on a transport error:
the state is read back instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from integration.clients.dataverse import DataverseError, bind
from integration.crm.config import ENTITY_ORDER
from integration.crm.mapping import (
    ACTIVE,
    CANCELED,
    CLOSED,
    FULFILLED,
    STATUS_COMPLETE,
    STATUS_IN_PROGRESS,
    STATUS_NO_MONEY,
    SUBMITTED,
    fulfillment_of,
)
from integration.crm.outcome import CrmFlow, CrmNotReady, Outcome
from integration.orders.model import Order
from integration.refunds.model import parse_refund
from integration.refunds.records import RefundRecords

NOTES = uuid.UUID("6f1c5b0e-2a7d-4e8a-9a51-3c1f0d2b7e10")  # namespace of the deterministic note ids


def note_id(kind: str, shopify_id: str) -> str:
    return str(uuid.uuid5(NOTES, f"{kind}:{shopify_id}"))


def apply(
    sync: CrmFlow,
    order: Order,
    payload: dict[str, Any],
    current: dict[str, Any],
    ref: str | Mapping[str, str],
    cancelled: bool,
) -> list[str]:
    """``current``: the order's statecode/statuscode; ``ref``: its id or alternate key."""
    events: list[str] = []
    order_ref = bind("salesorders", ref)
    for fulfillment in payload.get("fulfillments") or []:
        if isinstance(fulfillment, dict) and fulfillment.get("id") and fulfillment.get("status") == "success":
            numbers = fulfillment.get("tracking_numbers") or [fulfillment.get("tracking_number")]
            numbers = [str(n) for n in numbers if n]
            text = f"Shopify fulfillment {fulfillment['id']}" + (
                f": {fulfillment.get('tracking_company') or 'carrier'} {', '.join(numbers)}" if numbers else ""
            )
            note(sync, note_id("fulfillment", str(fulfillment["id"])), order_ref, "Shipped", text)
    state = current.get("statecode")
    if state in CLOSED:
        return events
    if cancelled or order.cancelled_at is not None:
        if _close(sync, order, current, ref, "CancelSalesOrder", CANCELED, STATUS_NO_MONEY):
            events.append("cancelled")
        return events
    fulfillment = fulfillment_of(payload)
    if fulfillment == "fulfilled":
        if _close(sync, order, current, ref, "FulfillSalesOrder", FULFILLED, STATUS_COMPLETE):
            events.append("fulfilled")
    elif fulfillment == "partial" and (state, current.get("statuscode")) != (SUBMITTED, STATUS_IN_PROGRESS):
        if state == ACTIVE or state == SUBMITTED:
            sync.client.upsert(
                "salesorders",
                ref,
                {"statecode": SUBMITTED, "statuscode": STATUS_IN_PROGRESS},
                update_only=True,
            )
            events.append("partially-fulfilled")
    return events


def _close(
    sync: CrmFlow,
    order: Order,
    current: dict[str, Any],
    ref: str | Mapping[str, str],
    action: str,
    state: int,
    status: int,
) -> bool:
    verb = "cancelled" if state == CANCELED else "fulfilled"
    body = {
        "OrderClose": {
            "subject": f"Shopify {order.name} {verb}",
            "salesorderid@odata.bind": bind("salesorders", ref),
        },
        "Status": status,
    }
    try:
        sync.client.action(action, body)
    except DataverseError:
        # Not resent blindly: read the state back. Another delivery (or the lost response of this one)
        # may have closed it already, which is the outcome wanted; anything else is re-raised
        # (transient: the queue retries; a refusal: the message ends in crm-poison for a person).
        after = sync.client.get("salesorders", ref, select=["statecode", "statuscode"])
        if after is not None and after.get("statecode") == state:
            return False
        raise
    current["statecode"], current["statuscode"] = state, status
    return True


def note(sync: CrmFlow, annotation_id: str, order_ref: str, subject: str, text: str) -> None:
    sync.client.upsert(
        "annotations",
        annotation_id,
        {"subject": subject[:500], "notetext": text[:100_000], "objectid_salesorder@odata.bind": order_ref},
    )


def refund(sync: CrmFlow, payload: dict[str, Any]) -> Outcome:
    parsed = parse_refund(payload)
    order_id, refund_id = str(parsed.order_id), str(parsed.id)
    current = sync.client.get("salesorders", {sync.config.order_key: order_id}, select=["salesorderid", "statecode"])
    if current is None:
        raise CrmNotReady(f"refund {refund_id}: Shopify order {order_id} is not in CRM yet")
    known = sync.orders.refund(order_id, refund_id)
    credit_note = (known or {}).get("credit_note") or _credit_note(sync, order_id, refund_id)
    refunds = sync.orders.add_refund(order_id, refund_id, parsed.total, credit_note, parsed.currency)
    events = refund_note(sync, current, order_id, refund_id, parsed.total, parsed.currency, credit_note, refunds)
    outcome = Outcome("refunded", ",".join(events), str(current["salesorderid"]), tuple(events))
    return sync.done(ENTITY_ORDER, order_id, outcome)


def refund_note(
    sync: CrmFlow,
    current: dict[str, Any],
    order_id: str,
    refund_id: str,
    amount: Decimal,
    currency: str,
    credit_note: str,
    refunds: list[dict[str, str]],
) -> list[str]:
    """The refund's note, and (while the order is open) the refunded total and credit note numbers."""
    salesorder_id = str(current["salesorderid"])
    text = f"Shopify refund {refund_id}: {amount} {currency}".rstrip() + (
        f"; F&O credit note {credit_note}" if credit_note else "; F&O credit note pending"
    )
    note(sync, note_id("refund", refund_id), bind("salesorders", salesorder_id), "Refund", text)
    events = ["refund-note"]
    if current.get("statecode") not in CLOSED:
        values: dict[str, Any] = {sync.config.refunded: sum((Decimal(r["amount"]) for r in refunds), Decimal(0))}
        numbers = sorted({r["credit_note"] for r in refunds if r["credit_note"]})
        if numbers:
            values[sync.config.credit_notes] = ", ".join(numbers)[:4000]
        sync.client.upsert("salesorders", salesorder_id, values, update_only=True)
        events.append("refund-total")
    return events


def _credit_note(sync: CrmFlow, order_id: str, refund_id: str) -> str:
    """The F&O credit note (return order) number once the refund flow has it (read-only look)."""
    record = RefundRecords(sync.storage).get(order_id, refund_id)
    return record.credit_note_number if record is not None else ""
