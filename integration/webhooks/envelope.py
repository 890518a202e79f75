"""The queue message the intake writes for every accepted webhook, and how consumers read it.

Messages stay small: the webhook body travels inline when the encoded message fits the 64 KiB
queue limit, otherwise it is stored as a blob and the message carries a pointer.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.storage import QUEUE_MESSAGE_MAX_RAW_BYTES, Storage, safe_key

PAYLOAD_CONTAINER = "webhook-payloads"


class EnvelopeError(ValueError):
    """A queue message that is not a valid envelope (a bug or a hand-made message)."""


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    v: int = 1
    topic: str
    webhook_id: str
    event_id: str = ""
    shop: str = ""
    api_version: str = ""
    triggered_at: str = ""
    received_at: str = ""
    correlation_id: str = ""
    resource_id: str = ""
    payload: dict[str, Any] | None = None
    payload_blob: str | None = None

    def to_message(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_message(cls, text: str | bytes) -> Envelope:
        try:
            return cls.model_validate_json(text)
        except ValueError as error:
            raise EnvelopeError(f"not a webhook envelope: {error}") from None


def blob_name(topic: str, resource_id: str, webhook_id: str) -> str:
    return f"{safe_key(topic)}/{safe_key(resource_id)}/{safe_key(webhook_id)}.json"


def fits_inline(envelope: Envelope) -> bool:
    return len(envelope.to_message().encode()) <= QUEUE_MESSAGE_MAX_RAW_BYTES


def load_payload(envelope: Envelope, storage: Storage) -> dict[str, Any]:
    """The webhook body, from the message or from the blob it points to."""
    if envelope.payload is not None:
        return envelope.payload
    if not envelope.payload_blob:
        raise EnvelopeError(f"envelope {envelope.webhook_id} has neither payload nor payload_blob")
    data = storage.container(PAYLOAD_CONTAINER).download_blob(envelope.payload_blob).readall()
    payload = json.loads(data)
    if not isinstance(payload, dict):
        raise EnvelopeError(f"stored payload {envelope.payload_blob} is not a JSON object")
    return payload
