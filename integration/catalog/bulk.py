"""The bulk path for a first sync (or any run with many changed products): one JSONL line of
``productSet`` variables per product, a staged upload, ``bulkOperationRunMutation``, polling until
the operation finishes, and the result JSONL parsed back into per-product outcomes (a failed
line becomes an exception; a line that never ran is simply sent again by a later run, since the
stored hash did not change).

Crash safety: the job row (table ``catalogproducts``, RowKey ``bulk``) is written *before* the
operation is started and the per-line manifest (product number, item, hash, SKUs) is a blob, so a
run that dies anywhere resumes the same job instead of starting a second one: with the operation
id when it was stored, else by adopting the shop's current bulk mutation if it is ours (same
mutation text, created after the job). ``productSet`` upserts by id or by the unique product
metafield, so even a second operation could not duplicate a product.

The upload goes to the staged target's URL with its form parameters and the file last, and the
result file is downloaded from the operation's ``url``; neither request carries the Admin token.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from azure.core.exceptions import ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.catalog.mapping import ProductPlan
from integration.catalog.state import RUN
from integration.catalog.writer import identifier_of
from integration.clients.shopify import ShopifyAdmin, ShopifyError, ShopifyUserErrors
from shared import tables
from shared.storage import Storage

CONTAINER = "catalogbulk"
TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})

BULK_PRODUCT_SET = """mutation catalogBulkProductSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id variants(first: 250) { nodes { id sku } } }
    userErrors { field message code } } }"""

STAGED_UPLOADS_CREATE = """mutation catalogStagedUpload($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message } } }"""

BULK_RUN = """mutation catalogBulkRun($mutation: String!, $path: String!, $client: String) {
  bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path, clientIdentifier: $client) {
    bulkOperation { id status }
    userErrors { field message code } } }"""

BULK_FIELDS = "id status errorCode objectCount url partialDataUrl createdAt query"
BULK_CURRENT = f"query catalogBulkCurrent {{ currentBulkOperation(type: MUTATION) {{ {BULK_FIELDS} }} }}"
BULK_BY_ID = f"query catalogBulkById($id: ID!) {{ bulkOperation(id: $id) {{ {BULK_FIELDS} }} }}"


@dataclass
class LineOutcome:
    product_number: str
    item_number: str
    content_hash: str
    status: str
    skus: dict[str, str]
    status_only: bool = False
    dimensions: dict[str, dict[str, str]] | None = None  # SKU -> product dimensions (variants of a master)
    product_id: str = ""
    variant_ids: dict[str, str] | None = None
    errors: list[dict[str, Any]] | None = None


class BulkJob:
    def __init__(
        self,
        storage: Storage,
        shopify: ShopifyAdmin,
        *,
        files: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 5.0,
        max_wait_seconds: float = 600.0,
    ) -> None:
        self.storage = storage
        self.table = storage.table(tables.CATALOG_PRODUCTS)
        self.shopify = shopify
        self.files = files or httpx.Client(timeout=60)
        self.sleep = sleep
        self.poll_seconds = poll_seconds
        self.max_wait_seconds = max_wait_seconds

    # -- the job row ---------------------------------------------------------------------------------
    def pending(self) -> dict[str, Any] | None:
        try:
            return dict(self.table.get_entity(RUN, "bulk"))
        except ResourceNotFoundError:
            return None

    def _save(self, row: dict[str, Any]) -> None:
        self.table.upsert_entity({"PartitionKey": RUN, "RowKey": "bulk", **row}, mode=UpdateMode.REPLACE)

    def _finish(self, row: dict[str, Any]) -> None:
        try:
            self.storage.container(CONTAINER).delete_blob(row["Manifest"])
        except ResourceNotFoundError:
            pass
        try:
            self.table.delete_entity(RUN, "bulk")
        except ResourceNotFoundError:
            pass

    # -- submit --------------------------------------------------------------------------------------
    def submit(self, plans: list[tuple[ProductPlan, str]]) -> dict[str, Any]:
        """Upload one line per (plan, known Shopify product id) and start the operation."""
        job_id = uuid.uuid4().hex
        manifest = [
            [p.product_number, p.item_number, p.content_hash, p.status, p.skus, p.status_only, p.dimensions]
            for p, _ in plans
        ]
        blob = f"{job_id}.json"
        self.storage.container(CONTAINER).upload_blob(blob, json.dumps(manifest).encode(), overwrite=True)
        lines = "".join(
            json.dumps({"input": plan.input, "identifier": identifier_of(plan, product_id)}, separators=(",", ":"))
            + "\n"
            for plan, product_id in plans
        ).encode()
        path = self._upload(job_id, lines)
        row = {
            "Job": job_id,
            "Manifest": blob,
            "Status": "submitting",
            "SubmittedAt": datetime.now(UTC),
            "OperationId": "",
        }
        self._save(row)  # before the operation exists: a crash from here on resumes this job
        data = self.shopify.graphql(
            BULK_RUN, {"mutation": BULK_PRODUCT_SET, "path": path, "client": job_id}, expected_cost=10, idempotent=False
        )
        try:
            result = ShopifyAdmin.check(data, "bulkOperationRunMutation")
        except ShopifyUserErrors:
            self._finish(row)  # refused: no operation exists, nothing to resume
            raise
        row.update(Status="submitted", OperationId=str(result["bulkOperation"]["id"]))
        self._save(row)
        return row

    def _upload(self, job_id: str, content: bytes) -> str:
        target_input = [
            {
                "resource": "BULK_MUTATION_VARIABLES",
                "filename": f"catalog-{job_id}.jsonl",
                "mimeType": "text/jsonl",
                "httpMethod": "POST",
            }
        ]
        data = self.shopify.graphql(STAGED_UPLOADS_CREATE, {"input": target_input}, expected_cost=10)
        [target] = ShopifyAdmin.check(data, "stagedUploadsCreate")["stagedTargets"]
        params = {p["name"]: p["value"] for p in target["parameters"]}
        response = self.files.post(
            target["url"], data=params, files={"file": ("bulk_op_vars.jsonl", content, "text/jsonl")}
        )
        if response.status_code >= 300:
            raise ShopifyError(f"staged upload refused: HTTP {response.status_code}")
        return str(params["key"])

    # -- wait and read ---------------------------------------------------------------------------------
    def operation(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """The job's bulk operation as Shopify reports it now (adopting it when its id was lost)."""
        if row.get("OperationId"):
            return self.shopify.graphql(BULK_BY_ID, {"id": row["OperationId"]}, expected_cost=1).get("bulkOperation")
        current = self.shopify.graphql(BULK_CURRENT, expected_cost=1).get("currentBulkOperation")
        if not current or " ".join(str(current.get("query", "")).split()) != " ".join(BULK_PRODUCT_SET.split()):
            return None
        created = datetime.fromisoformat(str(current["createdAt"]).replace("Z", "+00:00"))
        submitted = row["SubmittedAt"]
        if created < submitted - timedelta(minutes=5):  # clock skew allowance
            return None
        row.update(Status="submitted", OperationId=str(current["id"]))
        self._save(row)
        return current  # type: ignore[no-any-return]

    def wait(self, row: dict[str, Any]) -> dict[str, Any] | None:
        """Poll until the operation is finished or the time limit (then it is returned still running);
        None when Shopify has no such operation (it never started)."""
        deadline = time.monotonic() + self.max_wait_seconds
        while True:
            op = self.operation(row)
            if op is None or op["status"] in TERMINAL or time.monotonic() >= deadline:
                return op
            self.sleep(self.poll_seconds)

    def outcomes(self, row: dict[str, Any], op: dict[str, Any]) -> list[LineOutcome]:
        manifest = json.loads(self.storage.container(CONTAINER).download_blob(row["Manifest"]).readall())
        url = op.get("url") or op.get("partialDataUrl")
        results: list[LineOutcome] = []
        if not url:
            return results
        response = self.files.get(str(url))
        if response.status_code >= 300:
            raise ShopifyError(f"bulk result download failed: HTTP {response.status_code}")
        for text in response.text.splitlines():
            if not text.strip():
                continue
            line = json.loads(text)
            n = int(line.get("__lineNumber", -1))
            if not 0 <= n < len(manifest):
                continue
            number, item, digest, status, skus, status_only, *rest = manifest[n]
            outcome = LineOutcome(number, item, digest, status, skus, bool(status_only), rest[0] if rest else {})
            payload = ((line.get("data") or {}).get("productSet")) or {}
            errors = line.get("errors") or payload.get("userErrors") or []
            product = payload.get("product") or {}
            if errors or not product.get("id"):
                outcome.errors = errors or [{"message": "no product in the result line"}]
            else:
                outcome.product_id = str(product["id"])
                nodes = (product.get("variants") or {}).get("nodes") or []
                outcome.variant_ids = {str(v["sku"]): str(v["id"]) for v in nodes if v.get("sku")}
            results.append(outcome)
        return results

    def close(self, row: dict[str, Any]) -> None:
        self._finish(row)
