"""Ops operations that belong to the flows: order reconciliation for a date range (dry run first),
the on-demand inventory resync, mapping overrides, the health report, and retry of a blocked packing
slip. ``integration.bootstrap.ops_router`` lists these routes, handing in the flows they call."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from integration.clients.shopify import ShopifyAdmin
from integration.fulfillment.model import SlipRef
from integration.fulfillment.service import FulfillmentSync
from integration.health import check_health
from integration.inventory.service import InventorySync, Summary
from integration.mappings import SECTIONS, MappingStore
from integration.ops.api import ApiError, Request, Route
from integration.ops.resync import RetryHandler
from integration.orders import records as rec
from integration.orders.reconcile import BLOCKED, QUEUE, order_message, reconcile_state
from shared import queues
from shared.audit import AuditLog
from shared.storage import Storage

MAX_RECONCILE_ORDERS = 2_000  # per call, to stay inside the HTTP limit; narrow the range for more


def reconcile_orders(
    storage: Storage, shopify: ShopifyAdmin, since: datetime, until: datetime, apply: bool
) -> dict[str, Any]:
    """Compare Shopify's orders updated in [since, until] with the integration's records. A dry run says
    what would be queued; with ``apply`` the orders that never reached F&O are queued (a backfill)."""
    records = rec.OrderRecords(storage)
    report: dict[str, Any] = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "dry_run": not apply,
        "seen": 0,
        "in_fo": 0,
        "blocked": [],
        "cancelled": 0,
        "to_queue": [],
        "queued": 0,
    }
    for order in shopify.list_orders(since.isoformat(), until.isoformat()):
        report["seen"] += 1
        order_id = str(order["id"])
        state = reconcile_state(records.get(order_id))
        if state == QUEUE:
            report["to_queue"].append(order_id)
            if apply:
                storage.queue(queues.ORDERS).send_message(order_message(order_id, queues.ORDER_RECONCILE, order))
                report["queued"] += 1
        elif state == BLOCKED:
            report["blocked"].append(order_id)
        else:
            report[state] += 1  # in_fo | cancelled
        if report["seen"] >= MAX_RECONCILE_ORDERS:
            report["truncated"] = True
            break
    return report


def _reconcile(storage: Storage, request: Request, shopify: ShopifyAdmin) -> Any:
    now = datetime.now(UTC)
    since = request.moment("since", now - timedelta(days=1))
    until = request.moment("until", now)
    if since >= until:
        raise ApiError(400, "since must be before until")
    apply = request.params.get("dry_run", "true").lower() in ("0", "false", "no")
    return reconcile_orders(storage, shopify, since, until, apply)


# Azure ends an HTTP response at 230 s: answer before that and let a longer run finish on its own
# (the run holds its lease and checkpoint, and logs its summary line as inventory.sync).
HTTP_BUDGET_S = 200.0


def _inventory_resync(request: Request, inventory_sync: Callable[[], InventorySync]) -> Any:
    full = request.params.get("full", "true").lower() not in ("0", "false", "no")
    sync = inventory_sync()  # built here: a missing setting answers now, not in the thread
    result: list[Summary] = []
    worker = threading.Thread(target=lambda: result.append(sync.run(full=full)), daemon=True, name="inventory-resync")
    worker.start()
    worker.join(HTTP_BUDGET_S)
    if not result:
        return {"status": "running", "note": "the run goes on; its summary is logged as inventory.sync"}
    return result[0].fields()


def _mappings(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    section = request.params.get("section") or None
    if section and section not in SECTIONS:
        raise ApiError(400, f"unknown mapping section {section!r}; one of {', '.join(SECTIONS)}")
    return {"sections": list(SECTIONS), "overrides": MappingStore(storage).list(section)}


MAX_MAPPING_VALUE_CHARS = 8 * 1024  # an F&O code or a small JSON object; a Table property holds 32 K characters


def _mapping_change(storage: Storage, request: Request, args: dict[str, str], old: Any, new: Any) -> None:
    """Mapping changes (tax codes, guest account, ...) get their own audit row, with before and after."""
    principal = request.principal.as_dict() if request.principal else {"name": "unknown"}
    AuditLog(storage).record(
        "mapping",
        f"{args['section']}/{args['id']}",
        "set" if new is not None else "delete",
        "updated" if new is not None else "deleted",
        details={"principal": principal, "old": old, "new": new},
    )


def _set_mapping(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    body = request.json_object()
    if "value" not in body:
        raise ApiError(400, 'body must be {"value": "<F&O code or JSON object>"}')
    if args["section"] not in SECTIONS:
        raise ApiError(404, f"unknown mapping section {args['section']!r}; one of {', '.join(SECTIONS)}")
    value = body["value"]
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ApiError(400, "value must not be empty; DELETE the override to fall back to the default")
    if not isinstance(value, str | int | float | bool | dict | list):
        raise ApiError(400, "value must be a string, number, boolean or JSON object/array")
    if len(json.dumps(value)) > MAX_MAPPING_VALUE_CHARS:
        raise ApiError(413, f"value is larger than {MAX_MAPPING_VALUE_CHARS} characters")
    store = MappingStore(storage)
    old = store.get(args["section"], args["id"])
    store.set(args["section"], args["id"], value)
    _mapping_change(storage, request, args, old, value)
    return {
        "section": args["section"],
        "key": args["id"],
        "value": body["value"],
        "note": "takes effect for the next order processed; retry the blocked ones",
    }


def _delete_mapping(storage: Storage, request: Request, args: dict[str, str]) -> Any:
    store = MappingStore(storage)
    old = store.get(args["section"], args["id"])
    if old is None:
        raise ApiError(404, f"no override {args['section']}/{args['id']}")
    try:
        store.delete(args["section"], args["id"])
    except ResourceNotFoundError:
        raise ApiError(404, f"no override {args['section']}/{args['id']}") from None
    _mapping_change(storage, request, args, old, None)
    return {"deleted": f"{args['section']}/{args['id']}"}


def _health(storage: Storage, request: Request, _: dict[str, str]) -> Any:
    return check_health()


def retry_handlers(fulfillment_sync: Callable[[], FulfillmentSync]) -> dict[str, RetryHandler]:
    """Retries that run at once instead of queueing a resync: a packing slip is synced again."""

    def packing_slip(storage: Storage, entity_id: str) -> str:
        sales_order, _, slip = entity_id.partition(":")
        if not slip:
            raise ValueError("a packing slip id is '<sales order>:<packing slip>'")
        outcome = fulfillment_sync().sync_slip(SlipRef(sales_order, slip))
        return f"packing slip {entity_id}: {outcome.as_dict()}"

    return {"packing_slip": packing_slip}


def order_routes(shopify: Callable[[], ShopifyAdmin]) -> list[Route]:
    return [
        Route(
            "POST",
            "reconcile/orders",
            lambda s, r, a: _reconcile(s, r, shopify()),
            "Shopify orders updated in [since, until] vs the integration; dry_run=true (default) only reports, "
            "dry_run=false queues the orders that never reached F&O (backfill)",
            ("since", "until", "dry_run"),
        )
    ]


def inventory_routes(inventory_sync: Callable[[], InventorySync]) -> list[Route]:
    return [
        Route(
            "POST",
            "inventory/resync",
            lambda s, r, a: _inventory_resync(r, inventory_sync),
            "Run the inventory push now (full=true by default: every SKU compared, not only changes)",
            ("full",),
        )
    ]


ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "mappings",
        _mappings,
        "Mapping overrides (SKU -> item, shipping method -> delivery mode, "
        "tax, warehouses, policies) on top of config/mappings.json",
        ("section",),
    ),
    Route(
        "PUT",
        "mappings/{section}/{id}",
        _set_mapping,
        'Set an override, body {"value": ...}; takes effect on the next order (retry blocked ones)',
    ),
    Route("DELETE", "mappings/{section}/{id}", _delete_mapping, "Remove an override"),
    Route(
        "GET",
        "health",
        _health,
        "The detailed health report: settings missing or with unresolved Key Vault references, storage, "
        "versions, this worker process's storage calls",
    ),
)
