# ruff: noqa: F811  (pytest fixtures imported from other tests are parameters here)
"""FedEx invoice exports dropped into a blob container (real Azurite): each blob version imported once,
a replaced blob imported again, an unreadable one refused with a reason and not re-read, two scans
racing for one blob import it once (the interleaving forced by a hook in the importer)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from integration.cases import ExceptionStore
from integration.clients.d365 import D365Client
from integration.freight.blob_watch import scan
from integration.freight.invoice_csv import parse
from integration.fulfillment.model import SlipRef
from integration.fulfillment.records import FulfillmentRecords
from sandbox.emulators.serve import RunningServer
from shared import tables
from shared.storage import Storage, safe_key
from tests.integration.freight.test_freight_audit import HEADER, call, csv_row, env, shipped  # noqa: F401
from tests.integration.refunds.conftest import d365, d365_server, make_sale, shopify_server  # noqa: F401


def test_each_blob_version_is_imported_once(storage: Storage) -> None:
    container = f"fedex-{uuid.uuid4().hex[:10]}"
    seen: list[list[tuple[str, Decimal]]] = []

    def importer(data: bytes) -> dict[str, Any]:
        charges = parse(data)
        seen.append([(c.tracking, c.net_charge) for c in charges])
        return {"rows": len(charges), "matched": 0}

    blobs = storage.container(container)
    blobs.upload_blob("2026-11/inv1.csv", "\n".join([HEADER, csv_row("T1", "12.00")]).encode())
    blobs.upload_blob("2026-11/bad.csv", b"a,b\n1,2\n")
    first = scan(storage, container, importer)
    assert first == {"blobs": 2, "imported": 1, "refused": 1, "skipped": 0}
    assert seen == [[("T1", Decimal("12.00"))]]
    refused = ExceptionStore(storage).get("freight_invoice", safe_key("2026-11/bad.csv"))
    assert refused is not None and refused.reason_code == "freight_invoice_unreadable"
    assert "Express or Ground Tracking ID" in refused.message

    # Nothing changed: nothing is read again (the refused file neither).
    assert scan(storage, container, importer) == {"blobs": 2, "imported": 0, "refused": 0, "skipped": 2}
    assert len(seen) == 1

    # The file is replaced (new ETag): it is imported again.
    blobs.upload_blob("2026-11/inv1.csv", "\n".join([HEADER, csv_row("T1", "13.50")]).encode(), overwrite=True)
    assert scan(storage, container, importer)["imported"] == 1
    assert seen[-1] == [("T1", Decimal("13.50"))]
    marker = storage.table(tables.FEDEX_INVOICE_BLOBS).get_entity("blob", safe_key("2026-11/inv1.csv"))
    assert marker["Status"] == "done" and marker["BlobEtag"]


def test_two_scans_racing_for_a_blob_import_it_once(storage: Storage) -> None:
    container = f"fedex-{uuid.uuid4().hex[:10]}"
    storage.container(container).upload_blob("inv.csv", "\n".join([HEADER, csv_row("T9", "9.00")]).encode())
    calls: list[str] = []
    inner: dict[str, Any] = {}

    def second_scan(data: bytes) -> dict[str, Any]:
        calls.append("inner")
        return {"rows": 1, "matched": 0}

    def first_scan(data: bytes) -> dict[str, Any]:
        calls.append("outer")
        # While this scan holds the blob, another scan runs to the end.
        inner["summary"] = scan(storage, container, second_scan)
        return {"rows": 1, "matched": 0}

    outer = scan(storage, container, first_scan)
    assert calls == ["outer"]
    assert inner["summary"] == {"blobs": 1, "imported": 0, "refused": 0, "skipped": 1}
    assert outer["imported"] == 1


def test_an_importer_failure_is_retried_by_the_next_scan(storage: Storage) -> None:
    container = f"fedex-{uuid.uuid4().hex[:10]}"
    storage.container(container).upload_blob("inv.csv", "\n".join([HEADER, csv_row("T7", "7.00")]).encode())

    def down(data: bytes) -> dict[str, Any]:
        raise ConnectionError("F&O unavailable")

    try:
        scan(storage, container, down)
    except ConnectionError:
        pass
    else:
        raise AssertionError("the failure must reach the timer (it is logged and retried)")
    summary = scan(storage, container, lambda data: {"rows": 1, "matched": 0})
    assert summary["imported"] == 1


def test_the_timer_run_gives_every_shipped_order_its_audit_line(
    env: None, storage: Storage, d365: D365Client, d365_server: RunningServer, shopify_server: RunningServer
) -> None:
    from integration import bootstrap

    sale = make_sale(d365, d365_server.url, shopify_server.url)
    shipped(storage, sale, f"N{sale.order_id}")
    audit = storage.table(tables.FREIGHT_AUDIT)  # emulator order ids repeat across test modules: start clean
    for old in audit.query_entities("RowKey eq @r", parameters={"r": str(sale.order_id)}):
        audit.delete_entity(old["PartitionKey"], old["RowKey"])
    first = bootstrap.freight_audit().scan_invoices()
    assert first["newly_shipped"] >= 1
    status, rep = call(storage, "GET", "money/freight", top="100")
    [line] = [x for x in rep["lines"] if x["order_id"] == str(sale.order_id)]
    assert line["actual"] == "" and line["charged"] == "10.00" and not line["flagged"]  # awaiting FedEx's charge
    assert bootstrap.freight_audit().scan_invoices()["newly_shipped"] == 0  # audited once, not every run

    # The order ships again (a second packing slip, a new tracking number): its line is audited again and
    # covers both packages.
    records = FulfillmentRecords(storage)
    again = records.claim(SlipRef(sale.number, f"CPS-{sale.order_id}-2"))
    again.shopify_order_id, again.tracking_numbers, again.status = str(sale.order_id), (f"R{sale.order_id}",), "done"
    records.save(again, release=True)
    assert bootstrap.freight_audit().scan_invoices()["newly_shipped"] == 1
    _, rep = call(storage, "GET", "money/freight", top="100")
    [line] = [x for x in rep["lines"] if x["order_id"] == str(sale.order_id)]
    assert sorted(line["tracking"]) == sorted([f"N{sale.order_id}", f"R{sale.order_id}"])
    assert bootstrap.freight_audit().scan_invoices()["newly_shipped"] == 0
