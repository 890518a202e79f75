"""After the drain: what F&O holds (the emulator's state) against what Shopify holds (the documents the
run created), with the integration's own tables explaining every difference.

Each line of the report is a count with what it must be; ``Report.failures`` are the lines that break
the promise (a lost or duplicated document, a total off by a cent, a message nobody can account for).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from azure.core.exceptions import ResourceNotFoundError
from rich.console import Console
from rich.table import Table

from integration.cases import OPEN, ExceptionStore
from integration.orders.records import CANCELLED, IN_FO, OrderRecords
from integration.refunds.ledger import APPLIED, Ledger
from integration.refunds.records import CREDITED, ORDER_REDUCED, RefundRecords
from integration.webhooks.envelope import Envelope
from sandbox.harness.chaos.delivery import Attempt
from sandbox.harness.chaos.documents import Documents, refund_total
from sandbox.harness.chaos.drain import fo_rows, queue_counts
from shared import queues, tables
from shared.storage import Storage, safe_key

CENT = Decimal("0.01")


@dataclass
class Line:
    section: str
    check: str
    count: int
    expected: str = ""  # "0", "= 40", or "" (informational)
    ok: bool = True
    note: str = ""


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # samples of what went wrong

    def add(self, section: str, check: str, count: int, expected: str = "", ok: bool = True, note: str = "") -> None:
        self.lines.append(Line(section, check, count, expected, ok, note))

    def must_be(self, section: str, check: str, count: int, wanted: int, note: str = "") -> None:
        self.add(section, check, count, f"= {wanted}", count == wanted, note)

    @property
    def failures(self) -> list[Line]:
        return [line for line in self.lines if not line.ok]

    def count(self, check: str) -> int:
        return next((line.count for line in self.lines if line.check == check), 0)

    def show(self, console: Console | None = None, title: str = "Chaos reconciliation") -> None:
        table = Table("area", "check", "count", "must be", "", "note", title=title)
        for line in self.lines:
            mark = "" if not line.expected else ("[green]ok[/]" if line.ok else "[bold red]FAIL[/]")
            table.add_row(line.section, line.check, f"{line.count:,}", line.expected, mark, line.note)
        out = console or Console(width=140)
        out.print(table)
        for detail in self.details[:20]:
            out.print(f"  - {detail}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": [line.__dict__ for line in self.lines],
            "failures": len(self.failures),
            "details": self.details[:50],
        }


def _dec(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def reconcile_intake(report: Report, attempts: list[Attempt], storage: Storage) -> None:
    unique = {(a.planned.delivery.topic, a.planned.delivery.webhook_id) for a in attempts}
    accepted = {(a.planned.delivery.topic, a.planned.delivery.webhook_id) for a in attempts if a.status == 200}
    report.add("intake", "deliveries (incl. duplicates)", len(attempts))
    report.add(
        "intake",
        "HTTP attempts",
        sum(a.attempts for a in attempts),
        note=f"{sum(a.attempts > 1 for a in attempts)} deliveries retried (host down / in progress)",
    )
    report.add("intake", "answered 'duplicate'", sum(a.duplicate for a in attempts))
    report.must_be("intake", "webhooks never acknowledged", len(unique - accepted), 0)
    table = storage.table(tables.WEBHOOKS)
    # One record per delivered event: keyed by the event id when the delivery had one (as the intake does).
    events = {(a.planned.delivery.topic, a.planned.delivery.webhook_id): a.planned.delivery.event_id for a in attempts}
    not_queued = 0
    for topic, webhook_id in sorted(unique):
        event_id = events.get((topic, webhook_id), "")
        key = f"e_{safe_key(event_id)}" if event_id else f"w_{safe_key(webhook_id)}"
        try:
            row = table.get_entity(safe_key(topic), key)
            not_queued += row.get("Status") not in ("queued", "duplicate")
        except ResourceNotFoundError:  # a missing row is what is counted
            not_queued += 1
    report.must_be("intake", "webhooks not recorded as queued", not_queued, 0, f"of {len(unique)} unique")


def reconcile_orders(report: Report, docs: Documents, fo: httpx.Client, storage: Storage) -> set[str]:
    """Returns the Shopify order ids that ended well (synced, or the expected exception)."""
    headers = fo_rows(fo, "SalesOrderHeadersV2")
    by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for header in headers:
        by_order[str(header.get("CustomerRequisitionNumber", ""))].append(header)
    shopify = {str(o["id"]): o for o in docs.orders}
    records, exceptions = OrderRecords(storage), ExceptionStore(storage)
    synced: set[str] = set()
    ended_well: set[str] = set()
    explained: Counter[str] = Counter()
    surprising: Counter[str] = Counter()  # ERP-ready orders that still ended as exceptions
    unexplained: list[str] = []
    mismatched: list[str] = []
    duplicated: list[str] = []
    not_ready_in_fo: list[str] = []
    in_fo_explained: list[str] = []
    cancelled_ok: list[str] = []
    cancelled_live: list[str] = []
    reduced_off = Decimal(0)
    for order_id, order in shopify.items():
        found = by_order.get(order_id, [])
        record = records.get(order_id)
        problem = exceptions.get("order", order_id)
        has_exception = problem is not None and problem.status == OPEN and bool(problem.reason_code)
        if order_id in docs.cancelled:
            # Cancelled in Shopify (its create and cancel delivered side by side): no live F&O order.
            if not found and record is not None and record.status == CANCELLED:
                cancelled_ok.append(order_id)
                ended_well.add(order_id)
            else:
                cancelled_live.append(
                    f"order {order_id}: cancelled in Shopify, {len(found)} F&O order(s), record "
                    f"{record.status if record else 'none'}"
                )
            continue
        if len(found) > 1:
            duplicated.append(order_id)
        if found and order_id in docs.not_erp_ready:
            not_ready_in_fo.append(order_id)
        if found and record is not None and record.status in IN_FO:
            total = _dec(found[0].get("OrderTotalAmount", 0))
            if order_id in docs.reduced:
                # Refunded before any invoice: F&O's total is lower by what the reductions took (to
                # F&O's own line rounding); these orders are checked by their line quantities below.
                synced.add(order_id)
                ended_well.add(order_id)
                reduced_off += abs(total - _expected_after_reductions(order, docs))
                continue
            if total == _dec(order["total_price"]):
                synced.add(order_id)
                ended_well.add(order_id)
                continue
            note = f"order {order_id} ({found[0]['SalesOrderNumber']}): F&O {total} vs Shopify {order['total_price']}"
            if has_exception:
                assert problem is not None
                in_fo_explained.append(f"{note}, open exception {problem.reason_code}")
                ended_well.add(order_id)
            else:
                mismatched.append(note)
            continue
        if has_exception:
            assert problem is not None
            if order_id in docs.not_erp_ready:
                explained[problem.reason_code] += 1
            else:
                surprising[problem.reason_code] += 1
                in_fo_explained.append(
                    f"order {order_id}: ERP-ready but open exception {problem.reason_code}: {problem.message[:150]}"
                )
            ended_well.add(order_id)
        else:
            unexplained.append(
                f"order {order_id}: {len(found)} F&O order(s), record "
                f"{record.status if record else 'none'}, no open exception"
            )
    stray = [h["SalesOrderNumber"] for h in headers if str(h.get("CustomerRequisitionNumber")) not in shopify]
    good = len(shopify) - len(docs.not_erp_ready) - len(docs.cancelled)
    report.must_be(
        "orders", "cancelled in Shopify: no live F&O order", len(cancelled_ok), len(docs.cancelled), "create + cancel"
    )
    report.must_be("orders", "cancelled in Shopify but live in F&O", len(cancelled_live), 0)
    off_by_order, reduced_explained = _quantities_off(fo, docs, synced, storage)
    off, explained_off = sorted(off_by_order.values()), sorted(reduced_explained.values())
    report.must_be("orders", "synced orders whose F&O line quantities differ from Shopify's", len(off), 0)
    report.add(
        "orders",
        "refunded before any invoice: F&O lines = Shopify's minus the refunds",
        len(docs.reduced & synced - set(off_by_order) - set(reduced_explained)),
        note=f"F&O totals off Shopify's minus refunds by {reduced_off} in all (F&O's line rounding)",
    )
    report.add(
        "orders",
        "orders whose line quantities differ, a refund of the order has an open exception",
        len(explained_off),
        note="explained" if explained_off else "",
    )
    report.details += cancelled_live + off + explained_off
    report.add("orders", "Shopify orders", len(shopify), note=f"{len(docs.not_erp_ready)} not ERP-ready by design")
    differs = len(in_fo_explained) - sum(surprising.values())
    report.add(
        "orders",
        "synced: one F&O sales order, total equal to the cent",
        len(synced),
        f"= {good - len(in_fo_explained)}",
        len(synced) == good - len(in_fo_explained),
        f"{len(docs.reduced & synced)} refunded before any invoice: by line quantities" if docs.reduced else "",
    )
    report.add(
        "orders",
        "in F&O, total differs, open exception",
        differs,
        note="explained: the flow flagged the difference" if differs else "",
    )
    report.add(
        "orders",
        "ERP-ready but ended as an open exception",
        sum(surprising.values()),
        note=", ".join(f"{k}: {v}" for k, v in surprising.items()),
    )
    report.add(
        "orders",
        "not ERP-ready: open exception",
        sum(explained.values()),
        f"= {len(docs.not_erp_ready)}",
        sum(explained.values()) == len(docs.not_erp_ready),
        ", ".join(f"{k}: {v}" for k, v in explained.items()),
    )
    report.must_be("orders", "neither synced nor explained (lost)", len(unexplained), 0)
    report.must_be("orders", "duplicated in F&O", len(duplicated), 0)
    report.must_be("orders", "not ERP-ready but in F&O", len(not_ready_in_fo), 0)
    report.must_be("orders", "total differs, no exception", len(mismatched), 0, "to the cent")
    report.must_be("orders", "F&O orders of no Shopify order", len(stray), 0)
    whole = synced - docs.reduced  # (orders refunded before any invoice are compared by quantities)
    fo_sum = sum(
        (_dec(h.get("OrderTotalAmount", 0)) for h in headers if str(h.get("CustomerRequisitionNumber")) in whole),
        Decimal(0),
    )
    shop_sum = sum((_dec(shopify[i]["total_price"]) for i in whole), Decimal(0))
    report.add(
        "orders",
        "sum of synced totals (cents)",
        int(fo_sum * 100),
        f"= {int(shop_sum * 100):,}",
        fo_sum == shop_sum,
        "F&O vs Shopify",
    )
    report.details += unexplained + mismatched + in_fo_explained + [f"order {i} duplicated" for i in duplicated]
    return synced | ended_well


def _expected_after_reductions(order: dict[str, Any], docs: Documents) -> Decimal:
    """Shopify's total minus the refunds of an order refunded before any invoice."""
    refunds = [r for r in docs.refunds if str(r["order_id"]) == str(order["id"])]
    return _dec(order["total_price"]) - sum((refund_total(r) for r in refunds), Decimal(0))


def refunded_quantities(docs: Documents) -> dict[tuple[str, str], Decimal]:
    """(order id, line item id) -> the quantity refunds of orders refunded before any invoice take."""
    taken: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for refund in docs.refunds:
        if str(refund["order_id"]) in docs.reduced:
            for line in refund["refund_line_items"]:
                taken[(str(refund["order_id"]), str(line["line_item_id"]))] += Decimal(line["quantity"])
    return taken


def _quantities_off(
    fo: httpx.Client, docs: Documents, synced: set[str], storage: Storage
) -> tuple[dict[str, str], dict[str, str]]:
    """Per synced order and Shopify line item: the F&O sales lines' quantity equals Shopify's current
    quantity minus what refunds of the order took while nothing was invoiced (refunds of invoiced orders
    are credit notes, checked in the refunds section). Returns (unexplained, explained by an open
    exception of one of the order's refunds), each by order id."""
    shopify = {str(o["id"]): o for o in docs.orders}
    numbers = {
        str(h["SalesOrderNumber"]): str(h.get("CustomerRequisitionNumber"))
        for h in fo_rows(fo, "SalesOrderHeadersV2")
        if str(h.get("CustomerRequisitionNumber")) in synced
    }
    quantities: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in fo_rows(fo, "SalesOrderLines"):
        order_id = numbers.get(str(line.get("SalesOrderNumber")))
        if order_id is not None:
            quantities[(order_id, str(line.get("OrderLineReference")))] += _dec(line.get("OrderedSalesQuantity", 0))
    taken = refunded_quantities(docs)
    exceptions = ExceptionStore(storage)
    off: dict[str, str] = {}
    explained: dict[str, str] = {}
    for order_id in sorted(synced & set(shopify)):
        for item in shopify[order_id]["line_items"]:
            key = (order_id, str(item["id"]))
            want = Decimal(item.get("current_quantity", item["quantity"])) - taken.get(key, Decimal(0))
            have = quantities.get(key, Decimal(0))
            if have == want:
                continue
            note = f"order {order_id} line {item['id']}: F&O {have} vs Shopify {want} (after refunds)"
            problems = [
                p
                for r in docs.refunds
                if str(r["order_id"]) == order_id
                and (p := exceptions.get("refund", f"{order_id}/{r['id']}")) is not None
                and p.status == OPEN
            ]
            if problems:
                explained[order_id] = f"{note}, open refund exception {problems[0].reason_code}"
            else:
                off[order_id] = f"{off[order_id]}; {note}" if order_id in off else note
    return off, explained


def reconcile_refunds(report: Report, docs: Documents, fo: httpx.Client, storage: Storage) -> set[str]:
    """Returns the refund ids that ended well (credited, or an open exception)."""
    returns = fo_rows(fo, "ReturnOrderHeadersV2")
    by_number = Counter(str(h["ReturnOrderNumber"]) for h in returns)
    totals = {str(h["ReturnOrderNumber"]): -_dec(h.get("OrderTotalAmount", 0)) for h in returns}
    records, exceptions = RefundRecords(storage), ExceptionStore(storage)
    credited = 0
    explained: Counter[str] = Counter()
    unexplained: list[str] = []
    mismatched: list[str] = []
    flagged: list[str] = []  # a credit note exists, but the flow found it differs and opened an exception
    numbers, ended_well = set(), set()
    reduced, reduced_credited = 0, []
    for refund in docs.refunds:
        order_id, refund_id = str(refund["order_id"]), str(refund["id"])
        number = f"RF{refund_id}"
        numbers.add(number)
        record = records.get(order_id, refund_id)
        if order_id in docs.reduced:
            if by_number.get(number):
                reduced_credited.append(
                    f"refund {order_id}/{refund_id}: credit note {number} of a never-invoiced order"
                )
            if record is not None and record.status == ORDER_REDUCED:
                reduced += 1
                ended_well.add(refund_id)
                continue
        elif by_number.get(number) == 1 and record is not None and record.status == CREDITED:
            credited += 1
            ended_well.add(refund_id)
            if totals[number] != refund_total(refund):
                mismatched.append(f"refund {refund_id}: F&O {totals[number]} vs Shopify {refund_total(refund)}")
            continue
        problem = exceptions.get("refund", f"{order_id}/{refund_id}")
        if problem is not None and problem.status == OPEN and problem.reason_code:
            explained[problem.reason_code] += 1
            ended_well.add(refund_id)
            if by_number.get(number):
                flagged.append(
                    f"refund {order_id}/{refund_id}: credit note {number} (F&O {totals[number]}) vs "
                    f"Shopify {refund_total(refund)}, open exception {problem.reason_code}"
                )
        else:
            unexplained.append(
                f"refund {order_id}/{refund_id}: {by_number.get(number, 0)} credit note(s), record "
                f"{record.status if record else 'none'}, no open exception"
            )
    stray = [n for n in by_number if n not in numbers]
    to_reduce = sum(str(r["order_id"]) in docs.reduced for r in docs.refunds)
    report.add("refunds", "Shopify refunds", len(docs.refunds), note=f"{to_reduce} before any invoice")
    excepted = sum(explained.values())
    report.add(
        "refunds",
        "credited: one F&O credit note, total equal to the cent",
        credited,
        note="the refunds of invoiced orders, less open exceptions",
    )
    report.add(
        "refunds",
        "reduced the open sales order (refunded before any invoice)",
        reduced,
        note="F&O quantities checked per line in the orders section",
    )
    report.must_be("refunds", "credited + reduced + open exceptions", credited + reduced + excepted, len(docs.refunds))
    report.must_be("refunds", "credit notes of refunds of never-invoiced orders", len(reduced_credited), 0)
    leftovers = _ledger_leftovers(docs, storage)
    report.must_be("refunds", "reduction ledger entries not settled, no open exception", len(leftovers), 0)
    report.add(
        "refunds",
        "open exceptions (explained)",
        excepted,
        note=", ".join(f"{k}: {v}" for k, v in explained.items())
        + (f"; {len(flagged)} with a credit note" if flagged else ""),
    )
    report.must_be("refunds", "neither credited nor explained (lost)", len(unexplained), 0)
    report.must_be("refunds", "credit notes of no Shopify refund", len(stray), 0)
    report.must_be("refunds", "credit note != refund total, no exception", len(mismatched), 0, "to the cent")
    report.details += unexplained + mismatched + flagged + reduced_credited + leftovers
    return ended_well


def _ledger_leftovers(docs: Documents, storage: Storage) -> list[str]:
    """Entries of the reduction ledger (integration/refunds/ledger.py) of the orders refunded before any
    invoice that are not applied: pending (a writer died and nobody settled it) or uncertain, each
    unexplained unless its refund has an open exception."""
    exceptions = ExceptionStore(storage)
    out = []
    for order_id in sorted(docs.reduced):
        entries, _ = Ledger(storage, order_id).load()
        for entry in entries.values():
            if entry.get("state") == APPLIED:
                continue
            problem = exceptions.get("refund", f"{order_id}/{entry['refund']}")
            if problem is None or problem.status != OPEN:
                out.append(f"ledger of order {order_id}: refund {entry['refund']} lot {entry['lot']} {entry['state']}")
    return out


def reconcile_messages(report: Report, docs: Documents, storage: Storage, ended_well: set[str]) -> None:
    """Main queues must be empty; every poison message of this run is counted and explained: its
    document ended synced anyway (a copy or a later retry did the work) or has an open exception."""
    counts = queue_counts(storage)
    report.must_be(
        "messages",
        "left on the main queues",
        sum(counts.values()),
        0,
        ", ".join(f"{k}: {v}" for k, v in counts.items() if v),
    )
    ours = {str(o["id"]) for o in docs.orders} | {str(r["id"]) for r in docs.refunds}
    poison, unexplained = 0, []
    for name in queues.ALL:
        for envelope in _poison(storage, queues.poison(name)):
            if envelope is None or envelope.resource_id not in ours:
                continue  # another run's message (the storage may be shared by a test session)
            poison += 1
            if envelope.resource_id not in ended_well:
                unexplained.append(f"poison {name}: {envelope.topic} {envelope.resource_id}")
    report.add("messages", "poison messages of this run", poison, note="each explained below" if poison else "")
    report.must_be("messages", "poison messages unexplained", len(unexplained), 0)
    report.details += unexplained


def _poison(storage: Storage, name: str) -> list[Envelope | None]:
    queue = storage.queue(name)
    seen: set[str] = set()
    out: list[Envelope | None] = []
    while True:
        batch = list(queue.receive_messages(messages_per_page=32, max_messages=32, visibility_timeout=120))
        fresh = [m for m in batch if m.id not in seen]
        if not fresh:
            return out
        for message in fresh:
            seen.add(message.id)
            try:
                out.append(Envelope.from_message(message.content))
            except ValueError:
                out.append(None)


def settled(docs: Documents, storage: Storage) -> bool:
    """Every order synced or excepted and every refund credited or excepted (the drain's early exit)."""
    records, refunds = OrderRecords(storage), RefundRecords(storage)
    for order in docs.orders:
        record = records.get(order["id"])
        wanted = ("cancelled",) if str(order["id"]) in docs.cancelled else ("created", "mismatch", "blocked")
        if record is None or record.status not in wanted:
            return False
    for refund in docs.refunds:
        credit = refunds.get(str(refund["order_id"]), str(refund["id"]))
        if credit is None or credit.status not in ("credited", "mismatch", "exception", "order_reduced"):
            return False
    return True


def dump(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str)
