"""Output bindings the local host supports: queue outputs, from the ``output_data`` of the worker's
``InvocationResponse`` (one message per array item), written with the host's message encoding."""

from __future__ import annotations

import asyncio
from typing import Any

from sandbox.host.config import HostConfig, resolve
from sandbox.host.encoding import encode
from sandbox.host.functions import FunctionSpec
from sandbox.host.storage import HostStorage
from sandbox.host.typed_data import output_messages
from sandbox.host.worker import Outcome


async def write_outputs(spec: FunctionSpec, outcome: Outcome, config: HostConfig, storage_for: Any) -> None:
    for binding in spec.outputs:
        value = outcome.outputs.get(binding["name"])
        if binding.get("type") != "queue" or value is None:
            continue
        storage: HostStorage = storage_for(binding.get("connection"))
        queue = storage.output_queue(resolve(binding["queueName"]))
        for body in output_messages(value):
            await asyncio.to_thread(queue.send_message, encode(body, config.queues.message_encoding))
