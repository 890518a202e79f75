"""The Dataverse Web API emulator's request handling (``/api/data/v9.2/...``), stateful, in memory.

Behaviour follows the Web API documentation (sources in docs/flows/crm.md):
* ``PATCH <set>(<key>)`` is an upsert: it creates the row when the id / alternate key is unknown and
  updates it otherwise (204 both times, ``OData-EntityId`` names the row). ``If-Match: *`` forbids the
  create (404), ``If-None-Match: *`` forbids the update (412).
* ``POST <set>`` creates; a duplicate alternate-key value is refused (412, DuplicateRecord).
* A property the table does not have is a 400; read-only (calculated) columns are ignored on write.
* Lookups are set with ``<navigation>@odata.bind``: ``/set(<guid>)``, ``/set(<alternate key>)`` or a
  changeset ``$<Content-ID>``; a target that does not exist is a 404.
* ``salesorder`` becomes Canceled / Fulfilled only through ``CancelSalesOrder`` / ``FulfillSalesOrder``
  (an update setting those states is refused); Invoiced (4 / 100003) is set by an update of an open
  order. A closed order (canceled, fulfilled, invoiced) and its lines refuse updates and deletes.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from sandbox.emulators.dataverse import metadata, schema
from sandbox.emulators.dataverse.query import Filter, parse_key
from sandbox.emulators.dataverse.wire import DataverseFault, Reply, json_reply, loads

BOOLEAN = frozenset({"isproductoverridden", "ispriceoverridden", "ispricelocked"})
INTEGER = frozenset({"statecode", "statuscode", "lineitemnumber"})
NUMBER_HINTS = ("amount", "priceperunit", "quantity", "tax", "percentage", "exchangerate")
NOT_FOUND = "0x80040217"
DUPLICATE = "0x80060892"
INVALID = "0x80048d19"
CLOSED = "0x80040203"


class Dataverse:
    def __init__(self, prefix: str = "shop_") -> None:
        self.prefix = prefix
        self.tables = schema.tables(prefix)
        self.rows: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in self.tables}
        self.order_counter = 1000
        self.closures: list[dict[str, Any]] = []  # orderclose activities written by the actions
        self.key_status: dict[str, str] = {}  # table -> EntityKeyIndexStatus of its keys (default Active)

    def customize(self, key_status: Mapping[str, str], drop_columns: Mapping[str, list[str]]) -> None:
        """An environment prepared differently (operator API): keys whose index is not built yet, custom
        columns that were never created (writes naming them are then refused, as Dataverse would)."""
        self.key_status.update(key_status)
        for logical, columns in drop_columns.items():
            for entity_set, table in self.tables.items():
                if table.logical == logical:
                    self.tables[entity_set] = dataclasses.replace(table, columns=table.columns - set(columns))

    # -- state helpers -----------------------------------------------------------------------------
    def snapshot(self) -> Any:
        return copy.deepcopy((self.rows, self.order_counter, self.closures))

    def restore(self, snap: Any) -> None:
        self.rows, self.order_counter, self.closures = snap

    def table(self, entity_set: str) -> schema.Table:
        table = self.tables.get(entity_set)
        if table is None:
            raise DataverseFault(404, "0x8006088a", f"Resource not found for the segment '{entity_set}'.")
        return table

    def find(self, table: schema.Table, key: str | dict[str, Any]) -> dict[str, Any] | None:
        rows = self.rows[table.entity_set]
        if isinstance(key, str):
            return rows.get(key)
        columns = tuple(sorted(key))
        if columns not in {tuple(sorted(k)) for k in table.keys}:
            raise DataverseFault(
                400, INVALID, f"The key specified '{', '.join(columns)}' is not a key defined on {table.logical}."
            )
        return next((r for r in rows.values() if all(_same(r.get(c), v) for c, v in key.items())), None)

    def resolve(self, reference: str, created: Mapping[str, str]) -> tuple[schema.Table, dict[str, Any]]:
        """``/set(key)``, ``set(key)``, an absolute URL or ``$<content-id>`` -> the row it names."""
        if reference.startswith("$"):
            if reference[1:] not in created:
                raise DataverseFault(400, INVALID, f"Content-ID reference '{reference}' was not found.")
            reference = created[reference[1:]]
        text = unquote(reference.split("/api/data/v9.2/")[-1]).lstrip("/")
        name, _, rest = text.partition("(")
        table = self.table(name)
        row = self.find(table, parse_key(rest.rstrip(")")))
        if row is None:
            raise DataverseFault(404, NOT_FOUND, f"{table.logical} With Ids = {rest.rstrip(')')} Do Not Exist")
        return table, row

    # -- entry point -------------------------------------------------------------------------------
    def handle(
        self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes, base: str
    ) -> tuple[Reply, str]:
        """The reply and, for a write, the row's canonical path (for Content-ID references)."""
        created: Mapping[str, str] = {}
        return self.dispatch(
            method, unquote(path), params, {k.lower(): v for k, v in headers.items()}, body, base, created
        )

    def dispatch(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
        base: str,
        created: Mapping[str, str],
    ) -> tuple[Reply, str]:
        if method == "POST" and path in ("FulfillSalesOrder", "CancelSalesOrder"):
            return self._close(path, _json(body), created), ""
        if metadata.is_metadata(path):
            return metadata.handle(self.tables, self.prefix, method, path, params, self.key_status), ""
        name, paren, rest = path.partition("(")
        table = self.table(name)
        key = parse_key(rest.rstrip(")")) if paren else None
        if method == "GET":
            return self._get(table, key, params), ""
        if method == "POST" and key is None:
            return self._write(table, None, _json(body), headers, base, created, create_only=True)
        if method == "PATCH" and key is not None:
            return self._write(table, key, _json(body), headers, base, created)
        if method == "DELETE" and key is not None:
            row = self.find(table, key)
            if row is None:
                raise DataverseFault(404, NOT_FOUND, f"{table.logical} Does Not Exist")
            if table.logical == "salesorderdetail":
                order = self.rows["salesorders"].get(str(row.get("_salesorderid_value")))
                if order is not None and order.get("statecode") in schema.CLOSED_ORDER_STATES:
                    raise DataverseFault(400, CLOSED, "The order is closed and its products cannot be deleted.")
                del self.rows[table.entity_set][row[table.primary_id]]
                if order is not None:
                    self._recalculate(self.tables["salesorders"], order)
            else:
                del self.rows[table.entity_set][row[table.primary_id]]
            return Reply(204), ""
        raise DataverseFault(405, INVALID, f"{method} is not supported on '{path}'.")

    # -- reads -------------------------------------------------------------------------------------
    def _get(self, table: schema.Table, key: str | dict[str, Any] | None, params: Mapping[str, str]) -> Reply:
        select = [s for s in params.get("$select", "").split(",") if s]
        for column in select:
            if column not in table.columns and column != table.primary_id and not column.startswith("_"):
                raise DataverseFault(400, "0x80060888", f"Could not find a property named '{column}' on type.")
        if key is not None:
            row = self.find(table, key)
            if row is None:
                raise DataverseFault(
                    404, NOT_FOUND, f"A record with the specified key values does not exist in {table.logical} entity"
                )
            return json_reply(200, _project(row, select, table))
        columns = table.columns | {table.primary_id}
        flt = Filter(params["$filter"], columns) if params.get("$filter") else None
        top = int(params.get("$top") or 5000)
        rows = [r for r in self.rows[table.entity_set].values() if flt is None or flt.matches(r)][:top]
        return json_reply(200, {"value": [_project(r, select, table) for r in rows]})

    # -- writes ------------------------------------------------------------------------------------
    def _write(
        self,
        table: schema.Table,
        key: str | dict[str, Any] | None,
        body: dict[str, Any],
        headers: Mapping[str, str],
        base: str,
        created: Mapping[str, str],
        create_only: bool = False,
    ) -> tuple[Reply, str]:
        values = self._values(table, body, created)
        row = self.find(table, key) if key is not None else None
        if row is not None and (create_only or headers.get("if-none-match") == "*"):
            raise DataverseFault(
                412, DUPLICATE, f"A record with matching key values already exists in {table.logical}."
            )
        if row is None and headers.get("if-match") == "*":
            raise DataverseFault(
                404, NOT_FOUND, f"A record with the specified key values does not exist in {table.logical} entity"
            )
        if row is None:
            row = {table.primary_id: key if isinstance(key, str) else str(uuid.uuid4())}
            if isinstance(key, dict):
                row.update(key)
            self._check_unique(table, {**row, **values}, None)
            for column in table.required:
                if values.get(column, values.get(f"_{column}_value")) in (None, ""):
                    raise DataverseFault(400, "0x80040278", f"Attribute '{column}' is required for {table.logical}.")
            self._rules(table, None, values)
            row.update(self._defaults(table))
            row.update(values)
            row["createdon"] = _now()
            self.rows[table.entity_set][row[table.primary_id]] = row
            status = 204
        else:
            self._check_unique(table, {**row, **values}, row[table.primary_id])
            self._rules(table, row, values)
            row.update(values)
            status = 204
        row["modifiedon"] = _now()
        self._recalculate(table, row)
        canonical = f"{table.entity_set}({row[table.primary_id]})"
        return Reply(
            status, b"", {"OData-EntityId": f"{base}/api/data/v9.2/{canonical}", "OData-Version": "4.0"}
        ), canonical

    def _values(self, table: schema.Table, body: dict[str, Any], created: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, value in body.items():
            if name.endswith("@odata.bind"):
                nav = name[: -len("@odata.bind")]
                if nav not in table.lookups:
                    raise DataverseFault(
                        400,
                        "0x80060888",
                        f"An undeclared property '{nav}' which only has property annotations in the payload "
                        "but no property value was found in the payload.",
                    )
                column, target_set = table.lookups[nav]
                target, row = self.resolve(str(value), created)
                if target.entity_set != target_set:
                    raise DataverseFault(400, INVALID, f"'{nav}' must reference {target_set}, not {target.entity_set}.")
                values[f"_{column}_value"] = row[target.primary_id]
                values[f"_{column}_value@Microsoft.Dynamics.CRM.lookuplogicalname"] = target.logical
                continue
            if name.startswith("@") or name == table.primary_id:
                continue
            if name not in table.columns:
                raise DataverseFault(
                    400,
                    "0x80060888",
                    f"Invalid property '{name}' was found in entity 'Microsoft.Dynamics.CRM.{table.logical}'.",
                )
            if name in table.read_only:
                continue  # Dataverse ignores values for columns that are not valid for create/update
            values[name] = _typed(name, value)
        return values

    def _check_unique(self, table: schema.Table, merged: dict[str, Any], own_id: str | None) -> None:
        for key in table.keys:
            if any(merged.get(c) in (None, "") for c in key):
                continue
            for other in self.rows[table.entity_set].values():
                if other[table.primary_id] != own_id and all(_same(other.get(c), merged.get(c)) for c in key):
                    raise DataverseFault(
                        412,
                        DUPLICATE,
                        f"A record that has the attribute values {', '.join(str(merged[c]) for c in key)} already "
                        f"exists. The entity key requires that this set of attributes contains unique values.",
                    )

    def _defaults(self, table: schema.Table) -> dict[str, Any]:
        if table.logical == "salesorder":
            self.order_counter += 1
            return {"statecode": 0, "statuscode": 1, "ordernumber": f"ORD-{self.order_counter:05d}-EMU"}
        if table.logical in ("contact", "account", "product"):
            return {"statecode": 0, "statuscode": 1}
        return {}

    def _rules(self, table: schema.Table, row: dict[str, Any] | None, values: dict[str, Any]) -> None:
        if table.logical == "salesorder":
            if row is not None and row.get("statecode") in schema.CLOSED_ORDER_STATES:
                raise DataverseFault(
                    400, CLOSED, "The order is closed (canceled, fulfilled or invoiced) and cannot be edited."
                )
            state = values.get("statecode", row.get("statecode", 0) if row else 0)
            if "statecode" in values and state in schema.ACTION_CLOSED_STATES:
                raise DataverseFault(400, INVALID, "Use FulfillSalesOrder or CancelSalesOrder to close a sales order.")
            if "statuscode" in values and values["statuscode"] not in schema.ORDER_STATUSES.get(state, set()):
                raise DataverseFault(
                    400, INVALID, f"{values['statuscode']} is not a valid status code for state code {state}."
                )
        if table.logical == "salesorderdetail":
            order_id = values.get("_salesorderid_value") or (row or {}).get("_salesorderid_value")
            order = self.rows["salesorders"].get(str(order_id))
            if order is not None and order.get("statecode") in schema.CLOSED_ORDER_STATES:
                raise DataverseFault(400, CLOSED, "The order is closed and its products cannot be edited.")
            merged = {**(row or {}), **values}
            if merged.get("isproductoverridden"):
                if merged.get("_productid_value"):
                    raise DataverseFault(400, INVALID, "A write-in product cannot have a productid.")
                if not merged.get("productdescription"):
                    raise DataverseFault(400, "0x80040278", "productdescription is required for a write-in product.")
            elif not merged.get("_productid_value") or not merged.get("_uomid_value"):
                raise DataverseFault(400, "0x80040278", "An existing product needs productid and uomid.")

    def _recalculate(self, table: schema.Table, row: dict[str, Any]) -> None:
        if table.logical == "salesorderdetail":
            base = Decimal(row.get("priceperunit") or 0) * Decimal(row.get("quantity") or 0)
            row["baseamount"] = base
            row["extendedamount"] = base - Decimal(row.get("manualdiscountamount") or 0) + Decimal(row.get("tax") or 0)
            order = self.rows["salesorders"].get(str(row.get("_salesorderid_value")))
            if order is not None:
                self._recalculate(self.tables["salesorders"], order)
        elif table.logical == "salesorder":
            lines = [
                d
                for d in self.rows["salesorderdetails"].values()
                if d.get("_salesorderid_value") == row["salesorderid"]
            ]
            net = sum(
                (Decimal(d["baseamount"]) - Decimal(d.get("manualdiscountamount") or 0) for d in lines), Decimal(0)
            )
            tax = sum((Decimal(d.get("tax") or 0) for d in lines), Decimal(0))
            line_discounts = sum((Decimal(d.get("manualdiscountamount") or 0) for d in lines), Decimal(0))
            discount = Decimal(row.get("discountamount") or 0)
            row.update(
                totallineitemamount=net,
                totallineitemdiscountamount=line_discounts,
                totaldiscountamount=discount + line_discounts,
                totaltax=tax,
                totalamount=net - discount + Decimal(row.get("freightamount") or 0) + tax,
            )

    # -- actions -----------------------------------------------------------------------------------
    def _close(self, action: str, body: dict[str, Any], created: Mapping[str, str]) -> Reply:
        close, status = body.get("OrderClose"), body.get("Status")
        if not isinstance(close, dict) or not isinstance(status, int):
            raise DataverseFault(400, INVALID, f"{action} needs the parameters OrderClose and Status.")
        reference = close.get("salesorderid@odata.bind")
        if not reference:
            raise DataverseFault(400, INVALID, "OrderClose must bind salesorderid.")
        _, order = self.resolve(str(reference), created)
        state = 3 if action == "FulfillSalesOrder" else 2
        if status not in schema.ORDER_STATUSES[state]:
            raise DataverseFault(400, INVALID, f"{status} is not a valid status code for state code {state}.")
        if order.get("statecode") in schema.CLOSED_ORDER_STATES:
            raise DataverseFault(400, CLOSED, "The order is already closed.")
        order.update(statecode=state, statuscode=status, modifiedon=_now())
        if state == 3:
            order["datefulfilled"] = _now()
        self.closures.append(
            {"action": action, "salesorderid": order["salesorderid"], "subject": close.get("subject", "")}
        )
        return Reply(204)


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = loads(body or b"{}")
    except ValueError:
        raise DataverseFault(400, "0x80060888", "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise DataverseFault(400, "0x80060888", "The request body must be a JSON object.")
    return value


def _typed(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in BOOLEAN and not isinstance(value, bool):
        raise DataverseFault(
            400, "0x80060888", f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean'."
        )
    if name in INTEGER and (isinstance(value, bool) or not isinstance(value, int)):
        raise DataverseFault(
            400, "0x80060888", f"Cannot convert the literal '{value}' to the expected type 'Edm.Int32'."
        )
    if any(h in name for h in NUMBER_HINTS) and name not in BOOLEAN:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise DataverseFault(
                400, "0x80060888", f"Cannot convert the literal '{value}' to the expected type 'Edm.Decimal'."
            )
        return Decimal(value)
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return bool(a == b)


def _project(row: dict[str, Any], select: list[str], table: schema.Table) -> dict[str, Any]:
    if not select:
        return dict(row)
    wanted = set(select) | {table.primary_id}
    return {k: v for k, v in row.items() if k in wanted or any(k.startswith(f"{s}@") for s in wanted)}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
