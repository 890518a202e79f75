"""Order edits on the CRM order: a line an edit removed (or reduced) in Shopify is removed (or reduced)
on the ``salesorder``.

Shopify keeps a removed line item with ``current_quantity`` 0 (a reduced one with a lower
``current_quantity``); refunds lower ``current_quantity`` too, and those stay on the CRM order (a
refund is shown as the refunded amount and a note, not as a changed line). So, as order sync does for
F&O (``integration/orders/edits.py``), a line's quantity is ``current_quantity + refunded``, and the
order's total after an edit is Shopify's ``current_total_price``.

Lines of the order that the plan no longer has (the integration's rows only: those carrying a Shopify
line id in the key column) are deleted in the same ``$batch`` changeset as the upserts, so CRM never
shows half an edit.
"""

from __future__ import annotations

from integration.clients.dataverse import DataverseClient, Op, path
from integration.crm.config import CrmConfig
from integration.crm.mapping import OrderPlan
from integration.orders.edits import edited_order
from integration.orders.model import Order


def was_edited(order: Order) -> bool:
    """Whether an edit removed units or lines (refunded units do not count)."""
    return any(
        li.current_quantity is not None and li.current_quantity + order.refunded_quantities.get(li.id, 0) < li.quantity
        for li in order.lines
    )


def as_edited(order: Order) -> Order:
    """The order at its edited quantities (removed lines left out, discounts prorated, current totals)."""
    return edited_order(order).order if was_edited(order) else order


def removed_lines(client: DataverseClient, config: CrmConfig, salesorder_id: str, plan: OrderPlan) -> list[Op]:
    """``DELETE`` of the order's lines the integration wrote and the plan no longer has."""
    keep = {line.key for line in plan.lines}
    rows = client.query(
        "salesorderdetails",
        f"_salesorderid_value eq {salesorder_id}",
        ["salesorderdetailid", config.line_key],
        top=5000,
    )
    return [
        Op("DELETE", path("salesorderdetails", str(row["salesorderdetailid"])))
        for row in rows
        if row.get(config.line_key) and str(row[config.line_key]) not in keep
    ]
