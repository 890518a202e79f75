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

from integration.exceptions import OPEN, ExceptionStore
from integration.orders.records import CANCELLED, IN_FO, OrderRecords
from integration.refunds.records import CREDITED, RefundRecords
from integration.webhooks.envelope import Envelope
from integration.webhooks.intake import DEDUP_TABLE
from sandbox.chaos.delivery import Attempt
from sandbox.chaos.documents import Documents, refund_total
from sandbox.chaos.drain import fo_rows, queue_counts
from shared import queues
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
    table = storage.table(DEDUP_TABLE)
    not_queued = 0
    for topic, webhook_id in sorted(unique):
        try:
            row = table.get_entity(safe_key(topic), f"w_{safe_key(webhook_id)}")
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
    off = _quantities_off(fo, shopify, synced)
    report.must_be("orders", "synced orders whose F&O line quantities differ from Shopify's", len(off), 0)
    report.details += cancelled_live + off
    report.add("orders", "Shopify orders", len(shopify), note=f"{len(docs.not_erp_ready)} not ERP-ready by design")
    differs = len(in_fo_explained) - sum(surprising.values())
    report.add(
        "orders",
        "synced: one F&O sales order, total equal to the cent",
        len(synced),
        f"= {good - len(in_fo_explained)}",
        len(synced) == good - len(in_fo_explained),
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
    fo_sum = sum(
        (_dec(h.get("OrderTotalAmount", 0)) for h in headers if str(h.get("CustomerRequisitionNumber")) in synced),
        Decimal(0),
    )
    shop_sum = sum((_dec(shopify[i]["total_price"]) for i in synced), Decimal(0))
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


def _quantities_off(fo: httpx.Client, shopify: dict[str, dict[str, Any]], synced: set[str]) -> list[str]:
    """Per synced order and Shopify line item: the F&O sales lines' quantity equals Shopify's current
    quantity (refunds are credited by credit notes in this run, checked in the refunds section)."""
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
    off = []
    for order_id in sorted(synced & set(shopify)):
        for item in shopify[order_id]["line_items"]:
            want = Decimal(item.get("current_quantity", item["quantity"]))
            have = quantities.get((order_id, str(item["id"])), Decimal(0))
            if have != want:
                off.append(f"order {order_id} line {item['id']}: F&O {have} vs Shopify {want}")
    return off


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
    for refund in docs.refunds:
        order_id, refund_id = str(refund["order_id"]), str(refund["id"])
        number = f"RF{refund_id}"
        numbers.add(number)
        record = records.get(order_id, refund_id)
        if by_number.get(number) == 1 and record is not None and record.status == CREDITED:
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
    report.add("refunds", "Shopify refunds", len(docs.refunds))
    excepted = sum(explained.values())
    report.add(
        "refunds",
        "credited: one F&O credit note, total equal to the cent",
        credited,
        f"= {len(docs.refunds) - excepted}",
        credited == len(docs.refunds) - excepted,
    )
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
    report.details += unexplained + mismatched + flagged
    return ended_well


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
