"""FedEx invoice exports dropped into a blob container (``FREIGHT_INVOICE_CONTAINER``) are imported by a
timer that scans the container (``freight_invoice_timer``, ``FREIGHT_INVOICE_SCHEDULE``), not by a blob
trigger. Why (docs/flows/freight-audit.md § Watching a container):

* the app runs on Flex Consumption, where only the Event Grid-based blob trigger (``source="EventGrid"``)
  exists, which needs an Event Grid system topic and subscription on the storage account; the
  polling blob trigger is not supported there;
* the local host (``sandbox/host``) runs HTTP, queue and timer triggers only, so an Event Grid blob
  trigger could not be run or tested end to end here.

Each blob version is processed once: a marker row per blob name (Table ``fedexinvoiceblobs``) holds the
blob's ETag. The scan claims a blob by creating the row, or by replacing it under the row's own ETag when
the blob's ETag changed (the file was replaced) or a claim was left behind by a crashed run for longer
than ``STALE_CLAIM``; two scans racing for one blob cannot both win the conditional write. A file F&O or
FedEx cannot be read from is marked ``refused`` with the reason and a ``freight_invoice_unreadable``
exception, and is not read again until it is replaced. Blobs are left in place (the container is the
archive); a lifecycle rule can age them out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.cases import ExceptionStore
from integration.freight.invoice_csv import InvoiceFileError
from shared import tables
from shared.logs import get_logger, log_event
from shared.storage import Storage, safe_key

PARTITION = "blob"
STALE_CLAIM = timedelta(minutes=30)
MAX_BLOB_BYTES = 10 * 1024 * 1024
log = get_logger(__name__)


def _claim(storage: Storage, name: str, etag: str, now: datetime) -> bool:
    table = storage.table(tables.FEDEX_INVOICE_BLOBS)
    row = {"PartitionKey": PARTITION, "RowKey": safe_key(name), "Blob": name, "BlobEtag": etag,
           "Status": "processing", "ClaimedAt": now.isoformat()}  # fmt: skip
    try:
        table.create_entity(row)
        return True
    except ResourceExistsError:
        pass
    try:
        current = table.get_entity(PARTITION, safe_key(name))
    except ResourceNotFoundError:
        return False  # removed meanwhile: the next scan starts over
    if current.get("BlobEtag") == etag:
        status = current.get("Status")
        if status not in ("processing", "retry"):
            return False  # this version is done (or refused)
        claimed = datetime.fromisoformat(str(current.get("ClaimedAt")))
        if status == "processing" and now - claimed < STALE_CLAIM:
            return False  # another scan is on it
    try:
        table.update_entity(
            row, mode=UpdateMode.REPLACE, etag=current.metadata["etag"], match_condition=MatchConditions.IfNotModified
        )
        return True
    except ResourceModifiedError:
        return False  # another scan claimed it first


def _finish(storage: Storage, name: str, etag: str, status: str, result: str) -> None:
    now = datetime.now(UTC).isoformat()
    storage.table(tables.FEDEX_INVOICE_BLOBS).upsert_entity(
        {"PartitionKey": PARTITION, "RowKey": safe_key(name), "Blob": name, "BlobEtag": etag, "Status": status,
         "Result": result[:2000], "ClaimedAt": now, "FinishedAt": now},
        mode=UpdateMode.REPLACE,
    )  # fmt: skip


def scan(
    storage: Storage, container: str, importer: Callable[[bytes], dict[str, Any]], now: datetime | None = None
) -> dict[str, int]:
    """Import every blob version not imported yet; ``importer`` is the ops upload's import (CSV bytes)."""
    now = now or datetime.now(UTC)
    summary = {"blobs": 0, "imported": 0, "refused": 0, "skipped": 0}
    client = storage.container(container)
    exceptions = ExceptionStore(storage)
    # One read of every marker, so a container kept as the archive costs no Table call per old file.
    finished = {
        (str(row.get("Blob")), str(row.get("BlobEtag")))
        for row in storage.table(tables.FEDEX_INVOICE_BLOBS).query_entities(
            "PartitionKey eq @p", parameters={"p": PARTITION}
        )
        if row.get("Status") in ("done", "refused")
    }
    for blob in client.list_blobs():
        summary["blobs"] += 1
        name, etag = str(blob.name), str(blob.etag)
        if (name, etag) in finished or not _claim(storage, name, etag, now):
            summary["skipped"] += 1
            continue
        try:
            if (blob.size or 0) > MAX_BLOB_BYTES:
                raise InvoiceFileError(f"file is larger than {MAX_BLOB_BYTES} bytes")
            data = client.download_blob(name, etag=etag, match_condition=MatchConditions.IfNotModified).readall()
            result = importer(data)
        except ResourceModifiedError:
            _finish(storage, name, etag, "replaced", "the blob changed while it was read: the next scan reads it")
            continue
        except InvoiceFileError as error:
            _finish(storage, name, etag, "refused", str(error))
            exceptions.open("freight_invoice", safe_key(name), "freight_invoice_unreadable", str(error), {"blob": name})
            summary["refused"] += 1
            continue
        except Exception as error:  # F&O or Shopify unavailable: the next scan tries this version again
            _finish(storage, name, etag, "retry", type(error).__name__)
            raise
        _finish(storage, name, etag, "done", f"rows {result.get('rows')}, matched {result.get('matched')}")
        exceptions.resolve("freight_invoice", safe_key(name), "invoice file imported")
        summary["imported"] += 1
    log_event(log, "freight.blob_scan", **summary)
    return summary
