"""POST / PATCH / PUT / DELETE on entity sets, with F&O's validation rules per entity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.emulators.d365 import customers, payment_journals, product_writes, returns, sales
from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.entities import EMPTY_DATE, NAMESPACE, CoercionError, EntitySet, coerce
from sandbox.emulators.d365.store import Row
from sandbox.emulators.d365.wire import ODATA_EXCEPTION, ODataError, already_exists, write_failed

Create = Callable[[Env, EntitySet, Row], Row]
Update = Callable[[Env, EntitySet, Row, dict[str, Any]], dict[str, Any]]
Delete = Callable[[Env, EntitySet, Row], None]

_CREATE: dict[str, Create] = {
    "SalesOrderHeadersV2": sales.create_header,
    "SalesOrderLines": sales.create_line,
    "CustomersV3": customers.create_customer,
    "ReturnOrderHeaders": returns.create_header,
    "ReturnOrderHeadersV2": returns.create_header,
    "ReturnOrderLines": returns.create_line,
    "ReturnOrderLinesV2": returns.create_line,
    "CustomerPaymentJournalHeaders": payment_journals.create_header,
    "CustomerPaymentJournalLines": payment_journals.create_line,
    **product_writes.CREATE,
}
_UPDATE: dict[str, Update] = {
    "SalesOrderHeadersV2": sales.update_header,
    "SalesOrderLines": sales.update_line,
    "CustomersV3": customers.update_customer,
    "ReturnOrderHeaders": returns.update_header,
    "ReturnOrderHeadersV2": returns.update_header,
    "ReturnOrderLines": returns.update_line,
    "ReturnOrderLinesV2": returns.update_line,
    "CustomerPaymentJournalHeaders": payment_journals.update_header,
    "CustomerPaymentJournalLines": payment_journals.update_line,
}
_DELETE: dict[str, Delete] = {
    "SalesOrderHeadersV2": sales.delete_header,
    "SalesOrderLines": sales.delete_line,
    "CustomersV3": customers.delete_customer,
    "ReturnOrderHeaders": returns.delete_header,
    "ReturnOrderHeadersV2": returns.delete_header,
    "ReturnOrderLines": returns.delete_line,
    "ReturnOrderLinesV2": returns.delete_line,
    "CustomerPaymentJournalHeaders": payment_journals.delete_header,
    "CustomerPaymentJournalLines": payment_journals.delete_line,
}


def parse_body(es: EntitySet, payload: Any) -> Row:
    """Request JSON -> typed values. Empty strings and empty dates count as "not set" because
    generated OData clients post every property with its default value (reference §1.4)."""
    if not isinstance(payload, dict):
        raise ODataError(400, "The request body must be a JSON object.", error_type=ODATA_EXCEPTION)
    row: Row = {}
    for name, value in payload.items():
        if "@" in name:
            continue  # @odata.type and other annotations
        f = es.fields.get(name)
        if f is None:
            detail = (
                f"The property '{name}' does not exist on type '{NAMESPACE}.{es.type_name}'. Make sure to "
                f"only use property names that are defined by the type or mark the type as open type."
            )
            raise ODataError(400, detail, message=detail, error_type=ODATA_EXCEPTION)
        try:
            typed = coerce(f, value)
        except CoercionError as exc:
            raise ODataError(400, str(exc), message=str(exc), error_type=ODATA_EXCEPTION) from exc
        if typed == "" or typed == EMPTY_DATE:
            continue
        row[name] = typed
    return row


def _read_only(es: EntitySet) -> ODataError:
    return write_failed(
        es.aot_entity, f"The entity '{es.name}' is read-only; it cannot be created, updated or deleted through OData."
    )


def after_write(env: Env, es: EntitySet, row: Row) -> None:
    """Server-computed totals follow every line change."""
    if es.table == "SalesLine":
        sales.recompute_totals(env, row["dataAreaId"], row.get("SalesOrderNumber", ""))
    elif es.table == "ReturnLine":
        returns.recompute_totals(env, row["dataAreaId"], row.get("ReturnOrderNumber", ""))
    elif es.table == "SalesTable":
        sales.recompute_totals(env, row["dataAreaId"], row.get("SalesOrderNumber", ""))


def create(env: Env, es: EntitySet, payload: Any) -> Row:
    if es.read_only:
        raise _read_only(es)
    row = parse_body(es, payload)
    company = str(row.get("dataAreaId") or env.config.default_company).lower()
    if company not in env.store.setup.companies:
        raise write_failed(es.aot_entity, f"Company '{company}' does not exist.")
    row["dataAreaId"] = company
    row = _CREATE.get(es.name, customers.create_simple)(env, es, row)
    for key in es.keys:  # an unset string key is stored empty, as F&O does (so the row is found by its key)
        if row.get(key) is None and es.fields[key].edm == "Edm.String":
            row[key] = ""
    try:
        env.store.insert(es.table, row)
    except KeyError as exc:
        title = ", ".join(str(row.get(k)) for k in es.keys if k != "dataAreaId")
        raise already_exists(es.aot_entity, es.table_label, es.table, title) from exc
    after_write(env, es, row)
    return row


def update(env: Env, es: EntitySet, row: Row, payload: Any) -> Row:
    if es.read_only:
        raise _read_only(es)
    changes = parse_body(es, payload)
    for key in es.keys:
        if key in changes and str(changes[key]).casefold() != str(row.get(key, "")).casefold():
            raise write_failed(
                es.aot_entity,
                f"Cannot edit a record in {es.table_label} ({es.table}). The key field '{key}' cannot be changed.",
            )
        changes.pop(key, None)
    changes = _UPDATE.get(es.name, lambda _e, _s, _r, c: c)(env, es, row, changes)
    env.store.update(es.table, row, changes)
    after_write(env, es, row)
    return row


def delete(env: Env, es: EntitySet, row: Row) -> None:
    if es.read_only:
        raise _read_only(es)
    handler = _DELETE.get(es.name)
    if handler is not None:
        handler(env, es, row)
    env.store.delete(es.table, row)
    after_write(env, es, row)
