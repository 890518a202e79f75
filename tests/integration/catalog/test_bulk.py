"""The bulk path against the emulator: staged upload, bulkOperationRunMutation, polling, the result
JSONL parsed into per-product outcomes, a failed line as an exception, and crashes mid-bulk that
resume without duplicating products (crash points forced on the wire, no sleeps)."""

from __future__ import annotations

import httpx
import pytest

from integration.cases import ExceptionStore
from integration.catalog.config import CatalogConfig, load_config
from integration.catalog.service import ENTITY, REJECTED, CatalogSync
from integration.catalog.state import CatalogState, Synced
from integration.clients.shopify import ShopifyTransient
from integration.mappings import load_mappings
from tests.integration.catalog.conftest import World


def bulk_config() -> CatalogConfig:
    return load_config().model_copy(update={"bulk_threshold": 2, "bulk_poll_seconds": 0.0})


def seed(world: World) -> None:
    world.product("B1")
    world.variants("B1", ["Red", "Blue"], ["S", "M"])
    world.product("B2", master=False)
    world.product("B3", master=False)


class Sleeps:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, _seconds: float) -> None:
        self.calls += 1


def count(world: World, operation: str) -> int:
    counts = world.shop.get("/_emulator/requests", params={"last": 0}).json()["counts"]
    return int(counts.get(f"graphql {operation}", 0))


def bulk_sync(
    world: World, shopify_transport: httpx.BaseTransport | None = None, files: httpx.Client | None = None
) -> CatalogSync:
    sleeps = Sleeps()
    sync = CatalogSync(
        bulk_config(),
        world.storage,
        world.fo(),
        world.shopify(shopify_transport),
        legal_entity="usmf",
        files=files,
        sleep=sleeps,
    )
    sync.sleeps = sleeps  # type: ignore[attr-defined]
    return sync


def test_a_first_sync_goes_through_one_bulk_operation(world: World) -> None:
    seed(world)
    sync = bulk_sync(world)
    summary = sync.run()
    assert summary.status == "done" and summary.bulk_lines == 3 and summary.created == 3
    assert count(world, "bulkOperationRunMutation") == 1 and count(world, "stagedUploadsCreate") == 1
    assert count(world, "productSet") == 0  # no per-product calls
    assert sync.sleeps.calls >= 1  # type: ignore[attr-defined]  # it polled until the operation completed
    products = world.products()
    assert set(products) == {"B1", "B2", "B3"} and len(products["B1"]["variants"]) == 4
    assert load_mappings(world.storage).item_number("B1-Blue-M", None) == "B1"
    again = bulk_sync(world).run()  # the stored hashes: nothing to write
    assert again.written == 0 and again.unchanged == 3 and count(world, "bulkOperationRunMutation") == 1


def test_a_failed_line_becomes_an_exception_and_the_others_are_kept(world: World) -> None:
    seed(world)
    # The sync remembers B2 under a product Shopify no longer has (deleted by a merchant).
    CatalogState(world.storage).save(Synced("B2", product_id="gid://shopify/Product/1", content_hash="old"))
    summary = bulk_sync(world).run()
    assert summary.bulk_lines == 3 and summary.exceptions == 1
    record = ExceptionStore(world.storage).get(ENTITY, "B2")
    assert record is not None and record.reason_code == REJECTED and "does not exist" in record.message
    assert set(world.products()) == {"B1", "B3"}


class DiesAfter(httpx.BaseTransport):
    """A real transport; the worker dies right after Shopify answered the given operation."""

    def __init__(self, marker: bytes) -> None:
        self.inner = httpx.HTTPTransport()
        self.marker = marker
        self.armed = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.armed and (self.marker in str(request.url).encode() or self.marker in request.read()):
            response.read()
            self.armed = False
            raise httpx.ReadError("worker died", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_crash_right_after_starting_the_bulk_operation_resumes_it(world: World) -> None:
    seed(world)
    with pytest.raises(ShopifyTransient):  # the answer was lost: the outcome is unknown to this run
        bulk_sync(world, DiesAfter(b"bulkOperationRunMutation")).run()
    assert count(world, "bulkOperationRunMutation") == 1
    resumed = bulk_sync(world).run()
    assert resumed.status == "done" and resumed.bulk_resumed and resumed.created == 3
    assert count(world, "bulkOperationRunMutation") == 1  # adopted, not started again
    assert len(world.catalog()["products"]) == 3  # no duplicates
    assert bulk_sync(world).run().written == 0


def test_a_crash_while_reading_the_results_resumes_by_operation_id(world: World) -> None:
    seed(world)
    files = httpx.Client(transport=DiesAfter(b"_bulk-results"), timeout=30)
    with pytest.raises(httpx.ReadError, match="worker died"):
        bulk_sync(world, files=files).run()
    files.close()
    resumed = bulk_sync(world).run()
    assert resumed.bulk_resumed and resumed.created == 3 and resumed.written == 3
    assert count(world, "bulkOperationRunMutation") == 1
    assert len(world.catalog()["products"]) == 3
