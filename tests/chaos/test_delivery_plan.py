"""The chaos delivery plan itself (pure): duplicates reuse the delivery's ids, and the shuffle really puts
refunds before their orders and updates before their creates."""

from __future__ import annotations

from collections import Counter

from sandbox.harness.chaos.delivery import plan
from sandbox.harness.chaos.documents import Documents


def docs(n: int = 200) -> Documents:
    orders = [{"id": i, "updated_at": "2026-01-01T00:00:00+00:00"} for i in range(n)]
    return Documents(
        orders=orders,
        updates=[{**o, "note": "x"} for o in orders[::3]],
        refunds=[{"id": 10_000 + i, "order_id": i} for i in range(0, n, 4)],
    )


def test_about_thirty_percent_are_sent_twice_with_the_same_ids() -> None:
    planned = plan(docs(), seed=3, duplicate_share=0.3)
    firsts = [p for p in planned if p.copy == 0]
    copies = [p for p in planned if p.copy == 1]
    assert 0.2 < len(copies) / len(firsts) < 0.4
    ids = Counter((p.delivery.topic, p.delivery.webhook_id, p.delivery.event_id) for p in planned)
    assert sorted(set(ids.values())) == [1, 2]
    assert all(ids[(c.delivery.topic, c.delivery.webhook_id, c.delivery.event_id)] == 2 for c in copies)


def test_the_shuffle_sends_refunds_before_orders_and_updates_before_creates() -> None:
    planned = plan(docs(), seed=3, duplicate_share=0.0)
    first_seen: dict[tuple[str, str], int] = {}
    for index, p in enumerate(planned):
        first_seen.setdefault((p.delivery.topic, p.resource_id), index)
    source = docs()
    refunds_first = sum(
        first_seen[("refunds/create", str(r["id"]))] < first_seen[("orders/create", str(r["order_id"]))]
        for r in source.refunds
    )
    updates_first = sum(
        first_seen[("orders/updated", str(u["id"]))] < first_seen[("orders/create", str(u["id"]))]
        for u in source.updates
    )
    assert refunds_first > 0 and updates_first > 0
    assert plan(source, seed=3, duplicate_share=0.0)[0].resource_id == planned[0].resource_id  # repeatable


def test_messages_for_one_order_are_sent_side_by_side() -> None:
    source = docs()
    source.cancels = [{"id": 7, "cancelled_at": "2026-01-01T00:01:00+00:00"}]
    source.updates += [{**source.orders[3], "note": "y", "updated_at": "2026-01-01T00:02:00+00:00"}]
    source.refunds += [{"id": 20_000, "order_id": 4}]
    planned = plan(source, seed=5, duplicate_share=0.0)
    where = {(p.delivery.topic, p.resource_id, p.delivery.webhook_id): i for i, p in enumerate(planned)}
    cancel = next(i for (topic, rid, _), i in where.items() if topic == "orders/cancelled")
    assert planned[cancel - 1].delivery.topic == "orders/create" and planned[cancel - 1].resource_id == "7"
    updates_of_3 = sorted(i for (topic, rid, _), i in where.items() if topic == "orders/updated" and rid == "3")
    assert len(updates_of_3) == 2 and updates_of_3[1] == updates_of_3[0] + 1
    refunds_of_4 = sorted(i for (topic, rid, _), i in where.items() if rid in ("10004", "20000"))
    assert len(refunds_of_4) == 2 and refunds_of_4[1] == refunds_of_4[0] + 1
