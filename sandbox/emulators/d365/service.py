"""The /data service: URL routing to reads and writes, independent of the HTTP layer so that
``$batch`` runs every inner request through exactly the same code."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sandbox.emulators.d365 import reads, writes
from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.entities import EntitySet, entity_sets, format_date, parse_date
from sandbox.emulators.d365.metadata import metadata_xml
from sandbox.emulators.d365.query_options import split_top_level
from sandbox.emulators.d365.store import Row
from sandbox.emulators.d365.wire import ODATA_EXCEPTION, ODataError, Reply, etag, loads, no_resources, not_found

_SEGMENT = re.compile(r"^(?P<set>[A-Za-z_][\w]*)(?:\((?P<key>.*)\))?(?:/(?P<rest>.+))?$", re.DOTALL)


def parse_key(es: EntitySet, text: str) -> dict[str, Any]:
    """``dataAreaId='usmf',SalesOrderNumber='000123'`` -> typed values for every key field."""
    values: dict[str, Any] = {}
    parts = split_top_level(text, ",")
    if len(parts) == 1 and "=" not in parts[0] and len(es.keys) == 1:
        parts = [f"{es.keys[0]}={parts[0]}"]
    for part in parts:
        name, sep, literal = part.partition("=")
        name, literal = name.strip(), literal.strip()
        if not sep or name not in es.keys:
            raise ODataError(
                400,
                f"The key segment '({text})' is not valid for entity set '{es.name}'.",
                message=f"Bad Request - Error in query syntax. Invalid key '({text})'.",
                error_type=ODATA_EXCEPTION,
            )
        if literal.startswith("'") and literal.endswith("'") and len(literal) >= 2:
            values[name] = literal[1:-1].replace("''", "'")
        elif es.fields[name].edm == "Edm.DateTimeOffset":
            values[name] = parse_date(literal)
        elif es.fields[name].edm in ("Edm.Decimal", "Edm.Int32", "Edm.Int64"):  # e.g. a journal's LineNumber
            try:
                values[name] = Decimal(literal.rstrip("mM"))
            except InvalidOperation:
                values[name] = literal
        else:
            values[name] = literal
    missing = [k for k in es.keys if k not in values]
    if missing:
        # "all fields in the entity key must be provided to make a successful OData call"
        raise ODataError(
            400,
            f"The number of keys specified in the URI does not match number of key properties "
            f"for the resource '{es.type_name}'.",
            message="The number of keys specified in the URI does not match number of key properties "
            f"for the resource '{es.type_name}'.",
            error_type=ODATA_EXCEPTION,
        )
    return values


class ODataService:
    def __init__(self, env: Env) -> None:
        self.env = env

    def handle(
        self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes, base: str
    ) -> Reply:
        try:
            return self._route(method.upper(), path, params, headers, body, base)
        except ODataError as exc:
            return exc.reply()

    def _route(
        self, method: str, path: str, params: Mapping[str, str], headers: Mapping[str, str], body: bytes, base: str
    ) -> Reply:
        if path in ("", "/"):
            return Reply.json(
                200,
                {
                    "@odata.context": f"{base}/data/$metadata",
                    "value": [{"name": n, "kind": "EntitySet", "url": n} for n in entity_sets()],
                },
            )
        if path == "$metadata":
            return Reply(200, metadata_xml().encode(), {"Content-Type": "application/xml", "OData-Version": "4.0"})
        m = _SEGMENT.match(path)
        es = entity_sets().get(m.group("set")) if m else None
        if m is None or es is None:
            raise not_found(path.split("/")[0].split("(")[0])
        key_text, rest = m.group("key"), m.group("rest")
        if key_text is None:
            if rest == "$count" and method == "GET":
                count = reads.count_only(self.env, es, params)
                return Reply(200, str(count).encode(), {"Content-Type": "text/plain", "OData-Version": "4.0"})
            if rest:
                raise not_found(rest)
            if method == "GET":
                return Reply.json(200, reads.collection(self.env, es, params, base, self.env.config.page_size))
            if method == "POST":
                return self._post(es, body, base)
            raise ODataError(
                405,
                f"The HTTP method '{method}' is not allowed on an entity set.",
                message=f"The HTTP method '{method}' is not allowed on an entity set.",
                error_type=ODATA_EXCEPTION,
            )
        keys = parse_key(es, key_text)
        cross = params.get("cross-company", "").lower() == "true"
        row = self.env.store.get(es.table, tuple(keys[k] for k in es.keys))
        if row is not None and not reads.visible(self.env, row, cross):
            row = None
        if method == "GET":
            if row is None:
                raise not_found(es.name)
            if rest:
                nav = es.navigations.get(rest)
                if nav is None:
                    raise not_found(rest)
                target = entity_sets()[nav.target]
                related = list(self.env.store.scan(target.table, **{t: row.get(s) for s, t in nav.join}))
                return Reply.json(
                    200,
                    reads.collection(
                        self.env, target, {**params, "cross-company": "true"}, base, self.env.config.page_size, related
                    ),
                )
            return Reply.json(
                200, reads.entity(self.env, es, row, params, base), {"ETag": etag(row.get("_RecVersion", 0))}
            )
        if method in ("PATCH", "PUT", "MERGE", "DELETE"):
            if row is None:
                raise no_resources()
            self._check_etag(row, headers)
            if method == "DELETE":
                writes.delete(self.env, es, row)
                return Reply(204)
            writes.update(self.env, es, row, self._json(body))
            return Reply(204, b"", {"ETag": etag(row.get("_RecVersion", 0)), "OData-Version": "4.0"})
        raise ODataError(
            405,
            f"The HTTP method '{method}' is not allowed on an entity.",
            message=f"The HTTP method '{method}' is not allowed on an entity.",
            error_type=ODATA_EXCEPTION,
        )

    def _json(self, body: bytes) -> Any:
        try:
            return loads(body or b"{}")
        except ValueError as exc:
            raise ODataError(400, f"The request body is not valid JSON: {exc}", error_type=ODATA_EXCEPTION) from exc

    def _post(self, es: EntitySet, body: bytes, base: str) -> Reply:
        row = writes.create(self.env, es, self._json(body))
        payload = {"@odata.context": f"{base}/data/$metadata#{es.name}/$entity", **reads.project(es, row, None)}
        return Reply.json(
            201, payload, {"ETag": etag(row.get("_RecVersion", 0)), "Location": f"{base}/data/{entity_path(es, row)}"}
        )

    @staticmethod
    def _check_etag(row: Row, headers: Mapping[str, str]) -> None:
        wanted = headers.get("if-match")
        if wanted and wanted.strip() != "*" and wanted.strip() != etag(row.get("_RecVersion", 0)):
            raise ODataError(
                412,
                "The etag value in the request header does not match with the current etag value of the object.",
                message="The etag value in the request header does not match with the current etag "
                "value of the object.",
                error_type=ODATA_EXCEPTION,
            )


def key_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime):
        return format_date(value)
    return str(value)


def entity_path(es: EntitySet, row: Row) -> str:
    return f"{es.name}(" + ",".join(f"{k}={key_literal(row.get(k))}" for k in es.keys) + ")"
