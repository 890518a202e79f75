"""F&O document numbers on the CRM order, from the hooks in integration/crm/hooks.py.

* ``crm/fo-salesorder``: the F&O sales order number into ``<prefix>fosalesorderid`` (a closed order
  cannot be edited, so it gets a note instead). An order not in CRM yet is left alone: when it is
  written it copies the number from order sync's record, which is saved before the hook fires.
* ``crm/fo-creditnote``: the refund's credit note number into the refund's row, the order's
  ``<prefix>creditnotes`` and the refund's note. A refund not processed by CRM yet is left alone: it
  reads the number from the refund flow's record when it is.

* ``crm/fo-invoice``: F&O invoiced the order (the payments run finds its invoices). An open order goes
  to Invoiced (state 4, status reason Invoiced 100003) with the numbers in ``<prefix>invoicenumbers``,
  in one update with ``If-Match: *``; every invoice number gets a note (deterministic id). A closed
  order (already fulfilled, canceled or invoiced) gets the notes only: Dataverse refuses edits of a
  closed order. An order not in CRM yet waits (``CrmNotReady``: the queue brings the message back).

All are idempotent: the same message twice writes the same values (a state already reached is not
set again).
"""

from __future__ import annotations

from typing import Any

from integration.clients.dataverse import bind
from integration.crm.config import ENTITY_ORDER
from integration.crm.lifecycle import note, note_id, refund_note
from integration.crm.mapping import CLOSED, INVOICED, STATUS_INVOICED
from integration.crm.outcome import CrmFlow, CrmNotReady, Outcome


def sales_order(sync: CrmFlow, payload: dict[str, Any]) -> Outcome:
    order_id, number = str(payload["order_id"]), str(payload["number"])
    current = sync.client.get("salesorders", {sync.config.order_key: order_id}, select=["salesorderid", "statecode"])
    if current is None:
        return Outcome("unchanged", "order not in CRM yet: it copies the number when written")
    salesorder_id = str(current["salesorderid"])
    if current.get("statecode") in CLOSED:
        text = f"F&O sales order {number}"
        note(sync, note_id("fo-salesorder", order_id), bind("salesorders", salesorder_id), "F&O sales order", text)
    else:
        sync.client.upsert("salesorders", salesorder_id, {sync.config.fo_number: number}, update_only=True)
    return sync.done(ENTITY_ORDER, order_id, Outcome("written", "fo-salesorder", salesorder_id, ("fo-salesorder",)))


def credit_note(sync: CrmFlow, payload: dict[str, Any]) -> Outcome:
    order_id, refund_id, number = str(payload["order_id"]), str(payload["refund_id"]), str(payload["number"])
    known = sync.orders.refund(order_id, refund_id)
    if known is None:
        return Outcome("unchanged", "refund not in CRM yet: it reads the credit note when processed")
    refunds = sync.orders.add_refund(order_id, refund_id, known["amount"], number, known["currency"])
    current = sync.client.get("salesorders", {sync.config.order_key: order_id}, select=["salesorderid", "statecode"])
    if current is None:
        return Outcome("unchanged", "order not in CRM")
    events = refund_note(sync, current, order_id, refund_id, known["amount"], known["currency"], number, refunds)
    outcome = Outcome("written", ",".join(events), str(current["salesorderid"]), tuple(events))
    return sync.done(ENTITY_ORDER, order_id, outcome)


def invoice(sync: CrmFlow, payload: dict[str, Any]) -> Outcome:
    order_id, numbers = str(payload["order_id"]), str(payload["number"])
    current = sync.client.get(
        "salesorders", {sync.config.order_key: order_id}, select=["salesorderid", "statecode", "statuscode"]
    )
    if current is None:
        raise CrmNotReady(f"F&O invoice {numbers}: Shopify order {order_id} is not in CRM yet")
    salesorder_id = str(current["salesorderid"])
    order_ref = bind("salesorders", salesorder_id)
    events = []
    for number in [n.strip() for n in numbers.split(",") if n.strip()]:
        note(sync, note_id("fo-invoice", f"{order_id}:{number}"), order_ref, "Invoiced", f"F&O invoice {number}")
        events.append(f"invoice-note:{number}")
    if current.get("statecode") not in CLOSED:
        state = {sync.config.invoice_numbers: numbers[:4000], "statecode": INVOICED, "statuscode": STATUS_INVOICED}
        sync.client.upsert("salesorders", salesorder_id, state, update_only=True)
        events.append("invoiced")
    sync.orders.save(order_id, Invoices=numbers)
    return sync.done(ENTITY_ORDER, order_id, Outcome("written", ",".join(events), salesorder_id, tuple(events)))
