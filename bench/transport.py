"""Storage transport: CPU per call of this app's sync clients (one shared pooled requests session)
against the SDK's async clients (``azure.data.tables.aio`` / ``azure.storage.queue.aio`` on aiohttp),
the same calls against the same Azurite at the same concurrency; and the serializer of the queue
envelope and the audit rows (the stdlib ``json`` / pydantic against ``orjson`` when it is installed).

The cheaper one by CPU per call is what the app should use. Only this process's CPU is counted
(Azurite's is the same for both: the same requests reach it).

``python -m bench.transport [--calls N] [--concurrency C]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import timeit
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.data.tables.aio import TableClient as AsyncTableClient
from azure.storage.queue import TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient as AsyncQueueClient

from bench.common import Row, save, show
from bench.measure import cpu_seconds
from sandbox import SAMPLES
from sandbox.harness.stack import azurite
from shared.storage import Storage

ORDER = json.loads((SAMPLES / "shopify" / "itakastudio__orders_create__line_item_discount.json").read_text())


def _row(i: int) -> dict[str, Any]:
    return {"PartitionKey": "bench", "RowKey": f"{uuid.uuid4().hex}-{i}", "Status": "queued", "Topic": "orders/create"}


def _sync(storage: Storage, calls: int, concurrency: int) -> tuple[float, float]:
    table, queue = storage.table("benchsync"), storage.queue("bench-sync")
    message = "x" * 600
    with ThreadPoolExecutor(concurrency) as pool:
        before = cpu_seconds()
        list(pool.map(lambda i: table.create_entity(_row(i)), range(calls)))
        middle = cpu_seconds()
        list(pool.map(lambda _: queue.send_message(message), range(calls)))
        after = cpu_seconds()
    return 1000 * (middle - before) / calls, 1000 * (after - middle) / calls


async def _async(connection_string: str, calls: int, concurrency: int) -> tuple[float, float]:
    Storage.from_setting("S", {"S": connection_string}).table("benchasync")  # created once, as in the app
    Storage.from_setting("S", {"S": connection_string}).queue("bench-async")
    gate = asyncio.Semaphore(concurrency)
    message = "x" * 600
    async with (
        AsyncTableClient.from_connection_string(connection_string, "benchasync") as table,
        AsyncQueueClient.from_connection_string(
            connection_string, "bench-async", message_encode_policy=TextBase64EncodePolicy()
        ) as queue,
    ):

        async def insert(i: int) -> None:
            async with gate:
                await table.create_entity(_row(i))

        async def put() -> None:
            async with gate:
                await queue.send_message(message)

        await insert(-1)  # connections and imports outside the measurement
        await put()
        before = cpu_seconds()
        await asyncio.gather(*(insert(i) for i in range(calls)))
        middle = cpu_seconds()
        await asyncio.gather(*(put() for _ in range(calls)))
        after = cpu_seconds()
    return 1000 * (middle - before) / calls, 1000 * (after - middle) / calls


def _serializers() -> list[Row]:
    envelope = {"v": 1, "topic": "orders/create", "webhook_id": str(uuid.uuid4()), "payload": ORDER}
    rows = []
    stdlib_us = 1e6 * min(timeit.repeat(lambda: json.dumps(envelope), number=200, repeat=5)) / 200
    note = "orjson not installed: not a dependency of the app"
    if importlib.util.find_spec("orjson"):
        import orjson

        orjson_us = 1e6 * min(timeit.repeat(lambda: orjson.dumps(envelope), number=200, repeat=5)) / 200
        note = f"orjson {orjson_us:.0f} µs"
    rows.append(Row("transport", "json.dumps of an order envelope", stdlib_us, "µs", note=note))
    return rows


def run(calls: int = 1000, concurrency: int = 16) -> list[Row]:
    instance = azurite.start()
    try:
        storage = Storage.from_setting("S", {"S": instance.connection_string})
        _sync(storage, 20, concurrency)  # warm-up: clients, tables, connections
        sync_table, sync_queue = _sync(storage, calls, concurrency)
        async_table, async_queue = asyncio.run(_async(instance.connection_string, calls, concurrency))
    finally:
        instance.stop()
    note = f"{calls} calls at concurrency {concurrency}, this process's CPU"
    return [
        Row("transport", "table insert, sync (shared session)", sync_table, "ms", async_table, "async aio", note),
        Row("transport", "queue put, sync (shared session)", sync_queue, "ms", async_queue, "async aio", note),
        *_serializers(),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    rows = run(args.calls, args.concurrency)
    show(rows)
    print(f"saved {save(rows, 'transport')}")


if __name__ == "__main__":
    main()
