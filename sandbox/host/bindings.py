"""Output bindings the local host supports: queue outputs (str, bytes, JSON-able, or a list of
messages, one message each), written with the host's message encoding."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

from sandbox.host.config import HostConfig, resolve
from sandbox.host.invoke import Outcome
from sandbox.host.loader import FunctionSpec
from shared.storage import Storage


def encode(body: bytes, config: HostConfig) -> str:
    if config.queues.message_encoding == "base64":
        return base64.b64encode(body).decode()
    return body.decode()


def _messages(value: Any) -> list[bytes]:
    if value is None:
        return []
    if isinstance(value, list):
        return [m for item in value for m in _messages(item)]
    if isinstance(value, bytes):
        return [value]
    if isinstance(value, str):
        return [value.encode()]
    if hasattr(value, "get_body"):
        return [value.get_body()]
    return [json.dumps(value).encode()]


async def write_outputs(spec: FunctionSpec, outcome: Outcome, config: HostConfig, storage_for: Any) -> None:
    for binding in spec.outputs:
        if binding.type != "queue":
            continue
        storage: Storage = storage_for(binding.connection)
        queue = storage.raw_queue(resolve(binding.queue_name))
        for body in _messages(outcome.outputs.get(binding.name)):
            await asyncio.to_thread(queue.send_message, encode(body, config))
