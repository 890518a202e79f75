"""In-memory state of the emulated F&O environment.

Rows live in tables keyed like the real entity keys (string keys compare case-insensitively, as
SQL Server's default collation does in F&O). Several entity sets can be views over one table
(``ReturnOrderHeaders`` and ``ReturnOrderHeadersV2``). Every write goes through
:meth:`Store.insert` / :meth:`Store.update` / :meth:`Store.delete`, which keep an undo journal
while a ``$batch`` changeset runs, so a failing changeset leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

Row = dict[str, Any]
Key = tuple[Any, ...]

# Hidden bookkeeping columns start with "_" and are never served through OData.
REC_ID = "_RecId"
REC_VERSION = "_RecVersion"

# Number sequences: name -> format (the real USMF demo data uses 6-digit, partly prefixed numbers).
SEQUENCE_FORMATS = {
    "SalesOrderNumber": "{:06d}",  # SalesTable.SalesId, shared by sales and return orders
    "InventoryLotId": "{:06d}",  # SalesLine.InventTransId
    "RMANumber": "RMA-{:06d}",
    "InvoiceNumber": "CIV-{:06d}",
    "CreditNoteNumber": "CCN-{:06d}",
    "PackingSlipId": "CPS-{:06d}",
    "CustomerAccount": "US-{:04d}",
}


# Secondary indexes on fields that never change after insert (document numbers), so that reading
# the lines of one order stays cheap when a chaos run has created thousands of orders.
INDEXES: dict[str, list[tuple[str, ...]]] = {
    "SalesLine": [("dataAreaId", "SalesOrderNumber")],
    "ReturnLine": [("dataAreaId", "ReturnOrderNumber"), ("dataAreaId", "ReturningInventoryLotId")],
    "CustInvoiceJour": [("dataAreaId", "SalesOrderNumber")],
    "CustInvoiceTrans": [("dataAreaId", "InvoiceNumber")],
    "PackingSlipTracking": [("dataAreaId", "SalesOrderNumber")],
    "CustPackingSlipJour": [("dataAreaId", "SalesId")],
    "CustPackingSlipTrans": [("dataAreaId", "SalesId")],
}


@dataclass
class Setup:
    """Reference data that F&O holds in entities we do not serve (sites, warehouses, rates, ...)."""

    companies: set[str] = field(default_factory=set)
    currencies: set[str] = field(default_factory=set)
    sites: dict[tuple[str, str], str] = field(default_factory=dict)  # (company, site) -> name
    warehouses: dict[tuple[str, str], str] = field(default_factory=dict)  # (company, warehouse) -> site
    tax_rates: dict[tuple[str, str], Decimal] = field(default_factory=dict)  # (company, tax group) -> rate
    item_tax_groups: dict[tuple[str, str], bool] = field(default_factory=dict)  # (company, code) -> taxable
    # sequence name -> whether a client may supply the number itself ("manual" in F&O terms)
    manual_numbers: dict[str, bool] = field(default_factory=dict)


def norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


class Store:
    def __init__(self, table_keys: dict[str, list[str]]) -> None:
        self.table_keys = table_keys
        self.tables: dict[str, dict[Key, Row]] = {name: {} for name in table_keys}
        self.indexes: dict[tuple[str, tuple[str, ...]], dict[Key, dict[Key, Row]]] = {
            (table, fields): {} for table, all_fields in INDEXES.items() if table in table_keys for fields in all_fields
        }
        self.setup = Setup()
        self.sequences: dict[tuple[str, str], int] = {}
        self._rec_id = 5637144576  # F&O RecIds start around here
        self._version = 1000
        self._journal: list[Callable[[], None]] | None = None

    # ---- keys and lookups -------------------------------------------------------------------
    def key_of(self, table: str, row: Row) -> Key:
        return tuple(norm(row.get(k)) for k in self.table_keys[table])

    def get(self, table: str, key: Key) -> Row | None:
        return self.tables[table].get(tuple(norm(v) for v in key))

    def find(self, table: str, **where: Any) -> Row | None:
        for row in self.scan(table, **where):
            return row
        return None

    def scan(self, table: str, **where: Any) -> Iterator[Row]:
        """Rows whose fields equal ``where`` (strings case-insensitively), in insertion order."""
        wanted = {k: norm(v) for k, v in where.items()}
        keys = self.table_keys[table]
        if wanted and set(keys) <= set(wanted):
            row = self.tables[table].get(tuple(wanted[k] for k in keys))
            candidates: Iterator[Row] | list[Row] = [row] if row is not None else []
        else:
            candidates = self.tables[table].values()  # type: ignore[assignment]
            for (name, fields), index in self.indexes.items():
                if name == table and set(fields) <= set(wanted):
                    bucket = index.get(tuple(wanted[f] for f in fields), {})
                    candidates = sorted(bucket.values(), key=lambda r: r[REC_ID])
                    break
        for row in candidates:
            if all(norm(row.get(k)) == v for k, v in wanted.items()):
                yield row

    def _index(self, table: str, key: Key, row: Row, add: bool) -> None:
        for (name, fields), index in self.indexes.items():
            if name == table:
                value = tuple(norm(row.get(f)) for f in fields)
                if add:
                    index.setdefault(value, {})[key] = row
                else:
                    index.get(value, {}).pop(key, None)

    # ---- writes (journaled) -----------------------------------------------------------------
    def _next_version(self) -> int:
        self._version += 7919  # any strictly changing number; real F&O uses RecVersion
        return self._version

    def insert(self, table: str, row: Row) -> Row:
        key = self.key_of(table, row)
        rows = self.tables[table]
        if key in rows:
            raise KeyError(key)
        self._rec_id += 1
        row[REC_ID] = self._rec_id
        row[REC_VERSION] = self._next_version()
        rows[key] = row
        self._index(table, key, row, True)
        if self._journal is not None:

            def undo() -> None:
                rows.pop(key, None)
                self._index(table, key, row, False)

            self._journal.append(undo)
        return row

    def update(self, table: str, row: Row, changes: dict[str, Any], new_version: bool = True) -> Row:
        """Apply ``changes``; ``new_version=False`` for server-computed values that F&O does not
        store on the row (totals), so the row's etag stays the same."""
        if self._journal is not None:
            before = dict(row)

            def undo() -> None:
                row.clear()
                row.update(before)

            self._journal.append(undo)
        row.update(changes)
        if new_version:
            row[REC_VERSION] = self._next_version()
        return row

    def delete(self, table: str, row: Row) -> None:
        key = self.key_of(table, row)
        rows = self.tables[table]
        removed = rows.pop(key)
        self._index(table, key, removed, False)
        if self._journal is not None:
            # Re-inserting appends at the end; restore the original order so paging stays stable.
            def undo() -> None:
                rows[key] = removed
                self._index(table, key, removed, True)
                ordered = sorted(list(rows.items()), key=lambda kv: kv[1][REC_ID])
                rows.clear()
                rows.update(ordered)

            self._journal.append(undo)

    def next_number(self, company: str, sequence: str, taken: Callable[[str], bool]) -> str:
        """Next free number of a sequence (numbers a client set by hand are skipped)."""
        counter_key = (company.casefold(), sequence)
        before = self.sequences.get(counter_key, 0)
        n = before
        while True:
            n += 1
            candidate = SEQUENCE_FORMATS[sequence].format(n)
            if not taken(candidate):
                break
        self.sequences[counter_key] = n
        if self._journal is not None:
            # F&O sequences are not rolled back either (gaps happen), but restoring keeps
            # the emulator deterministic for tests replaying a failed changeset.
            self._journal.append(lambda: self.sequences.__setitem__(counter_key, before))
        return candidate

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing block (a $batch changeset). Not re-entrant."""
        self._journal = []
        try:
            yield
        except BaseException:
            for undo in reversed(self._journal):
                undo()
            raise
        finally:
            self._journal = None
