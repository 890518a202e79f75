"""Queue trigger listener, following the Storage Queues extension 5.x:

receive up to ``batchSize`` messages with a 10-minute invisibility, renew it at half time while a
function runs, delete on success; on failure release the message after ``visibilityTimeout``, or,
once ``DequeueCount >= maxDequeueCount``, copy it verbatim to ``<queue>-poison`` and delete it. A
message that is not valid base64 goes straight to poison without an invocation. The listener does
not create its queue; while it is missing it backs off like the host does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from datetime import timedelta
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError
from azure.storage.queue import QueueClient

from sandbox.host.bindings import write_outputs
from sandbox.host.config import HostConfig, disabled, resolve
from sandbox.host.encoding import decode
from sandbox.host.functions import FunctionSpec
from sandbox.host.storage import HostStorage
from sandbox.host.typed_data import queue_trigger
from sandbox.host.worker import Worker, stamp

log = logging.getLogger("sandbox.host")

# The real host leases a message for 10 minutes (renewed while the function runs), so a message held by a
# crashed host reappears 10 minutes later. LOCAL_HOST_QUEUE_LEASE_SECONDS shortens that for crash tests
# (the chaos suite) that cannot wait 10 minutes per restart.
LEASE = timedelta(seconds=float(os.environ.get("LOCAL_HOST_QUEUE_LEASE_SECONDS") or 600))
MIN_POLL = 0.1


class QueueListener:
    def __init__(self, spec: FunctionSpec, config: HostConfig, worker: Worker, storage_for: Any) -> None:
        self.spec = spec
        self.config = config
        self.options = config.queues
        self.worker = worker
        self.storage_for = storage_for
        self.queue_name = resolve(spec.trigger["queueName"])
        self.storage: HostStorage = storage_for(spec.trigger.get("connection"))
        self.client: QueueClient = self.storage.trigger_queue(self.queue_name)
        self.raw: QueueClient | None = None
        self.poison_name = f"{self.queue_name}-poison"
        self.has_poison = not self.queue_name.endswith("-poison") and len(self.poison_name) <= 63
        self.inflight: set[asyncio.Task[None]] = set()
        self.stopping = False

    def _raw(self) -> QueueClient:
        if self.raw is None:
            self.raw = self.client if self._exists() else None
        if self.raw is None:
            raise ResourceNotFoundError("queue not found")
        return self.raw

    def _exists(self) -> bool:
        try:
            self.client.get_queue_properties()
            return True
        except ResourceNotFoundError:
            return False

    async def run(self) -> None:
        delay = 0.2
        max_poll = self.options.max_polling_interval.total_seconds()
        while not self.stopping:
            if disabled(self.spec.name):
                await asyncio.sleep(1)
                continue
            capacity = self.options.batch_size
            try:
                messages = await asyncio.to_thread(self._receive, capacity)
            except ResourceNotFoundError:
                messages = None
            except (AzureError, OSError) as error:
                log.warning(
                    "[%s] queue %s: receive failed (%s); backing off", stamp(), self.queue_name, type(error).__name__
                )
                messages = None
            if not messages:
                await asyncio.sleep(delay)
                delay = min(max_poll, delay * 2 * random.uniform(0.8, 1.2))
                continue
            delay = MIN_POLL
            for message in messages:
                task = asyncio.create_task(self._process(message))
                self.inflight.add(task)
                task.add_done_callback(self.inflight.discard)
            # Fetch the next batch once in-flight work drops to newBatchThreshold.
            while len(self.inflight) > self.options.threshold and not self.stopping:
                await asyncio.wait(set(self.inflight), return_when=asyncio.FIRST_COMPLETED)
            await asyncio.sleep(MIN_POLL)

    def _receive(self, count: int) -> list[Any]:
        raw = self._raw()
        return list(
            raw.receive_messages(
                messages_per_page=count, max_messages=count, visibility_timeout=int(LEASE.total_seconds())
            )
        )

    async def _process(self, message: Any) -> None:
        state = {"pop_receipt": message.pop_receipt}
        body = decode(message.content or "", self.options.message_encoding)
        if body is None:
            log.warning(
                "[%s] Message %s on '%s' is not valid base64; moving it to '%s'.",
                stamp(),
                message.id,
                self.queue_name,
                self.poison_name,
            )
            await self._to_poison(message, state)
            return
        if message.dequeue_count > self.options.max_dequeue_count:
            await self._to_poison(message, state)
            return
        renew = asyncio.create_task(self._renew(message, state))
        data, metadata = queue_trigger(message, body, self.spec.trigger.get("dataType"))
        try:
            outcome = await self.worker.invoke(
                self.spec, data, metadata, f"New queue message detected on '{self.queue_name}'."
            )
            if outcome.ok:
                await write_outputs(self.spec, outcome, self.config, self.storage_for)
        finally:
            renew.cancel()
        try:
            if outcome.ok:
                await asyncio.to_thread(self._raw().delete_message, message.id, state["pop_receipt"])
            elif message.dequeue_count >= self.options.max_dequeue_count:
                log.warning(
                    "[%s] Message has reached MaxDequeueCount of %d. Moving message to queue '%s'.",
                    stamp(),
                    self.options.max_dequeue_count,
                    self.poison_name,
                )
                await self._to_poison(message, state)
            elif self.has_poison:
                await asyncio.to_thread(
                    self._raw().update_message,
                    message.id,
                    state["pop_receipt"],
                    visibility_timeout=int(self.options.visibility_timeout.total_seconds()),
                )
            # A failed message on a queue without a poison queue stays invisible (no hot loop).
        except (ResourceNotFoundError, HttpResponseError) as error:
            # Pop receipt mismatch, message or queue gone: swallowed, as the host does.
            log.debug("queue %s: completing message %s: %s", self.queue_name, message.id, error)

    async def _renew(self, message: Any, state: dict[str, str]) -> None:
        while True:
            await asyncio.sleep(LEASE.total_seconds() / 2)
            receipt = await asyncio.to_thread(
                self._raw().update_message,
                message.id,
                state["pop_receipt"],
                visibility_timeout=int(LEASE.total_seconds()),
            )
            state["pop_receipt"] = receipt.pop_receipt or state["pop_receipt"]

    async def _to_poison(self, message: Any, state: dict[str, str]) -> None:
        if not self.has_poison:
            return
        poison = self.storage.output_queue(self.poison_name)
        await asyncio.to_thread(poison.send_message, message.content)
        await asyncio.to_thread(self._raw().delete_message, message.id, state["pop_receipt"])

    async def stop(self, grace: float = 30.0) -> None:
        self.stopping = True
        if self.inflight:
            await asyncio.wait(set(self.inflight), timeout=grace)
