"""GET: collections with $filter/$select/$orderby/$top/$skip/$count/$expand, server-driven paging
with ``@odata.nextLink``, single entities by key, ``/$count``, company scoping (cross-company)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

from sandbox.emulators.d365.domain import Env
from sandbox.emulators.d365.entities import EntitySet, entity_sets
from sandbox.emulators.d365.odata_query import equalities, evaluate, parse_filter
from sandbox.emulators.d365.query_options import parse_expand, parse_orderby, parse_select, sort_key
from sandbox.emulators.d365.store import REC_ID, REC_VERSION, Row
from sandbox.emulators.d365.wire import etag, query_error

KNOWN_OPTIONS = {
    "$filter",
    "$select",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$expand",
    "$format",
    "cross-company",
    "$skiptoken",
}


def visible(env: Env, row: Row, cross_company: bool) -> bool:
    if "dataAreaId" not in row:  # a shared entity (number sequences): the same in every company
        return True
    return cross_company or str(row.get("dataAreaId", "")).casefold() == env.config.default_company.casefold()


def project(es: EntitySet, row: Row, select: list[str] | None) -> dict[str, Any]:
    """A stored row as F&O serves it: etag first, every (or every selected) property, defaults filled."""
    out: dict[str, Any] = {"@odata.etag": etag(row.get(REC_VERSION, 0))}
    defaults = es.defaults
    if select is None:
        out.update({name: row.get(name, default) for name, default in defaults.items()})
    else:
        out.update({name: row.get(name, defaults[name]) for name in select if name in defaults})
    return out


def _int_option(params: Mapping[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        value = int(params[name])
    except ValueError as exc:
        raise query_error(f"Invalid value '{params[name]}' for {name} query option found.") from exc
    if value < 0:
        raise query_error(
            f"Invalid value '{params[name]}' for {name} query option found. The value must be a non-negative integer."
        )
    return value


def _sorter(es: EntitySet, name: str) -> Callable[[Row], Any]:
    fallback = es.defaults[name]

    def key(row: Row) -> Any:
        return sort_key(row.get(name, fallback))

    return key


def apply_options(es: EntitySet, rows: list[Row], params: Mapping[str, str]) -> tuple[list[Row], int]:
    """Filter, order, count, skip, top. Returns (rows, count before skip/top)."""
    if params.get("$filter"):
        node = parse_filter(params["$filter"], es)
        rows = [r for r in rows if evaluate(node, r, es.defaults.__getitem__)]
    if params.get("$orderby"):
        for name, desc in reversed(parse_orderby(params["$orderby"], es)):
            rows.sort(key=_sorter(es, name), reverse=desc)
    count = len(rows)
    skip = _int_option(params, "$skip") or 0
    top = _int_option(params, "$top")
    rows = rows[skip:]
    if top is not None:
        rows = rows[:top]
    return rows, count


def expand_rows(
    env: Env, es: EntitySet, row: Row, expand: dict[str, dict[str, str]], cross: bool, out: dict[str, Any]
) -> None:
    for nav_name, options in expand.items():
        nav = es.navigations[nav_name]
        target = entity_sets()[nav.target]
        where = {theirs: row.get(mine) for mine, theirs in nav.join}
        related = [r for r in env.store.scan(target.table, **where) if visible(env, r, True)]
        select = parse_select(options["$select"], target) if options.get("$select") else None
        related, _ = apply_options(target, related, options)
        items = [project(target, r, select) for r in related]
        out[nav_name] = items if nav.many else (items[0] if items else None)


def context_url(
    base: str, es: EntitySet, select: list[str] | None, expand: dict[str, dict[str, str]], entity: bool = False
) -> str:
    parts = list(select or [])
    for nav, options in expand.items():
        if select is not None and nav not in parts:
            parts.append(nav)
        if options.get("$select"):
            parts.append(f"{nav}({options['$select']})")
    suffix = (
        f"({','.join(parts)})"
        if parts and (select is not None or any(o.get("$select") for o in expand.values()))
        else ""
    )
    return f"{base}/data/$metadata#{es.name}{suffix}{'/$entity' if entity else ''}"


def collection(
    env: Env, es: EntitySet, params: Mapping[str, str], base: str, page_size: int, rows: list[Row] | None = None
) -> dict[str, Any]:
    for name in params:
        if name.startswith("$") and name not in KNOWN_OPTIONS:
            raise query_error(f"The query parameter '{name}' is not supported.")
    cross = params.get("cross-company", "").lower() == "true"
    if rows is None:
        # Narrow through the store's indexes with the filter's equality terms; the full filter still
        # runs on what is left, so this changes speed only.
        narrow = equalities(parse_filter(params["$filter"], es)) if params.get("$filter") else {}
        if not cross and "dataAreaId" in es.fields:  # shared entities have no company
            narrow.setdefault("dataAreaId", env.config.default_company)
        rows = list(env.store.scan(es.table, **narrow))
    candidates = [r for r in rows if visible(env, r, cross)]
    select = parse_select(params["$select"], es) if params.get("$select") else None
    expand = parse_expand(params["$expand"], es) if params.get("$expand") and not env.config.ignore_expand else {}
    page, count = apply_options(es, candidates, params)
    more = len(page) > page_size
    page = page[:page_size]
    body: dict[str, Any] = {"@odata.context": context_url(base, es, select, expand)}
    if params.get("$count", "").lower() == "true":
        body["@odata.count"] = count
    values = []
    for row in page:
        item = project(es, row, select)
        if expand:
            expand_rows(env, es, row, expand, cross, item)
        values.append(item)
    body["value"] = values
    if more:
        next_params = dict(params)
        next_params["$skip"] = str((_int_option(params, "$skip") or 0) + page_size)
        top = _int_option(params, "$top")
        if top is not None:
            next_params["$top"] = str(top - page_size)
        query = urlencode(next_params, safe="$,()*'", quote_via=quote)
        body["@odata.nextLink"] = f"{base}/data/{es.name}?{query}"
    return body


def count_only(env: Env, es: EntitySet, params: Mapping[str, str]) -> int:
    cross = params.get("cross-company", "").lower() == "true"
    rows = [r for r in env.store.tables[es.table].values() if visible(env, r, cross)]
    rows, count = apply_options(es, rows, {k: v for k, v in params.items() if k not in ("$top", "$skip")})
    return count


def entity(env: Env, es: EntitySet, row: Row, params: Mapping[str, str], base: str) -> dict[str, Any]:
    select = parse_select(params["$select"], es) if params.get("$select") else None
    expand = parse_expand(params["$expand"], es) if params.get("$expand") and not env.config.ignore_expand else {}
    body: dict[str, Any] = {"@odata.context": context_url(base, es, select, expand, entity=True)}
    item = project(es, row, select)
    if expand:
        expand_rows(env, es, row, expand, True, item)
    body.update(item)
    return body


def rec_sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: r.get(REC_ID, 0))
