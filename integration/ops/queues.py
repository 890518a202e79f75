"""Queue depths, poison counts and poison replay."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from shared import queues
from shared.logs import get_logger, log_event
from shared.storage import Storage

log = get_logger(__name__)


def depths(storage: Storage) -> dict[str, dict[str, int]]:
    """Approximate message counts for every queue and its poison queue."""
    service = storage.queue_service()
    result: dict[str, dict[str, int]] = {}
    for name in queues.ALL:
        counts = {}
        for label, queue_name in (("messages", name), ("poison", queues.poison(name))):
            try:
                props = service.get_queue_client(queue_name).get_queue_properties()
                counts[label] = int(props.approximate_message_count or 0)
            except ResourceNotFoundError:
                counts[label] = 0
        result[name] = counts
    return result


def replay_poison(storage: Storage, queue: str, limit: int = 32, dry_run: bool = False) -> dict[str, Any]:
    """Move up to ``limit`` messages from ``<queue>-poison`` back to ``<queue>``, verbatim.

    Each message is copied first and deleted from poison after, so a crash in between duplicates a
    message (absorbed by the flows' idempotency) rather than losing one.
    """
    if queue not in queues.ALL:
        raise ValueError(f"unknown queue {queue!r}; known: {', '.join(queues.ALL)}")
    poison = storage.raw_queue(queues.poison(queue))
    if dry_run:
        peeked = list(poison.peek_messages(max_messages=min(32, limit)))
        return {"queue": queue, "dry_run": True, "would_replay": len(peeked)}
    target = storage.raw_queue(queue)
    moved = 0
    while moved < limit:
        batch = list(poison.receive_messages(max_messages=min(32, limit - moved), visibility_timeout=60))
        if not batch:
            break
        for message in batch:
            target.send_message(message.content)
            poison.delete_message(message)
            moved += 1
    log_event(log, "ops.poison_replayed", queue=queue, moved=moved)
    return {"queue": queue, "replayed": moved}
