"""Webhook intake: verify the HMAC, validate, enqueue and de-duplicate in Table Storage.

The answer must reach Shopify well inside its 5 s: the work here is two storage calls, one queue
message (plus a blob first for a large body) and one insert-if-absent of the de-duplication record.

The de-duplication key is ``(topic, X-Shopify-Event-Id)`` when Shopify sends the event id (shared by
every delivery of one merchant action on one topic, and kept by retries), else ``(topic,
X-Shopify-Webhook-Id)``. The message goes first and the record second, so a crash in between can only
cause a duplicate message (absorbed by the consumers), never a delivery recorded but not queued. A
delivery whose record already exists is a duplicate: 200, and the message it just queued is deleted.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError

from integration.webhooks import signature
from integration.webhooks.envelope import PAYLOAD_CONTAINER, Envelope, blob_name
from integration.webhooks.topics import also_for_crm, queue_for, resource_id
from shared import queues, tables
from shared.limits import bad_id, json_problem
from shared.logs import correlation_id, get_logger, log_event
from shared.settings import Settings, SettingsError
from shared.storage import QUEUE_MESSAGE_MAX_RAW_BYTES, Storage, safe_key

log = get_logger(__name__)

JSON_TYPES = ("application/json", "text/json")
# Shopify's webhook and event ids are UUIDs; anything far longer cannot be a real delivery and would
# not fit a Table key (1 KiB) once prefixed.
MAX_HEADER_ID_CHARS = 200


@dataclass
class IntakeResult:
    status: int
    reason: str
    duplicate: bool = False
    queue: str | None = None
    correlation_id: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status, "reason": self.reason}
        if self.duplicate:
            data["duplicate"] = True
        if self.correlation_id:
            data["correlation_id"] = self.correlation_id
        return data


def _header(headers: Mapping[str, str], name: str) -> str:
    # Header names are case-insensitive (HTTP/2 lower-cases them).
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip()
    return ""


def _now() -> datetime:
    return datetime.now(UTC)


class WebhookIntake:
    def __init__(self, settings: Settings, storage: Storage, clock: Callable[[], datetime] = _now) -> None:
        self.settings = settings
        self.storage = storage
        self.clock = clock

    # -- validation: everything here answers 4xx and touches no storage ---------------------------
    def _reject(self, status: int, reason: str, **fields: Any) -> IntakeResult:
        log_event(log, "webhook.rejected", status=status, reason=reason, **fields)
        return IntakeResult(status, reason)

    def handle(self, headers: Mapping[str, str], body: bytes) -> IntakeResult:
        topic = _header(headers, "X-Shopify-Topic")
        if len(body) > self.settings.WEBHOOK_MAX_BODY_BYTES:
            return self._reject(413, f"body exceeds {self.settings.WEBHOOK_MAX_BODY_BYTES} bytes", topic=topic)
        secrets = self.settings.webhook_secrets()
        if not secrets:
            raise SettingsError("missing setting: SHOPIFY_API_SECRET (the webhook HMAC key)")
        hmac_header = _header(headers, "X-Shopify-Hmac-Sha256")
        if not hmac_header:
            return self._reject(401, "missing X-Shopify-Hmac-Sha256 header", topic=topic)
        if not signature.verify(body, hmac_header, secrets):
            return self._reject(401, "invalid HMAC signature", topic=topic)
        webhook_id = _header(headers, "X-Shopify-Webhook-Id")
        if not topic:
            return self._reject(400, "missing X-Shopify-Topic header")
        if not webhook_id:
            return self._reject(400, "missing X-Shopify-Webhook-Id header", topic=topic)
        for name, value in (
            ("X-Shopify-Topic", topic),
            ("X-Shopify-Webhook-Id", webhook_id),
            ("X-Shopify-Event-Id", _header(headers, "X-Shopify-Event-Id")),
        ):
            problem = bad_id(value, name, MAX_HEADER_ID_CHARS)
            if problem:
                return self._reject(400, problem, topic=topic[:MAX_HEADER_ID_CHARS])
        content_type = _header(headers, "Content-Type").split(";")[0].strip().lower()
        if content_type and content_type not in JSON_TYPES:
            return self._reject(
                415, f"unsupported content type {content_type!r}; expected application/json", topic=topic
            )
        shop = _header(headers, "X-Shopify-Shop-Domain").lower()
        expected_shop = self.settings.SHOPIFY_SHOP_DOMAIN
        if expected_shop and shop and shop != expected_shop:
            return self._reject(403, "webhook is for another shop", topic=topic)
        queue = queue_for(topic)
        if queue is None:
            return self._reject(400, f"unknown topic {topic!r}", topic=topic)
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return self._reject(400, "body is not valid JSON", topic=topic)
        if not isinstance(payload, dict):
            return self._reject(400, "body is not a JSON object", topic=topic)
        problem = json_problem(payload)
        if problem:
            return self._reject(400, problem, topic=topic)

        resource = resource_id(topic, payload)
        problem = bad_id(resource, "the resource id", MAX_HEADER_ID_CHARS)
        if problem:
            return self._reject(400, problem, topic=topic)
        envelope = Envelope(
            topic=topic,
            webhook_id=webhook_id,
            event_id=_header(headers, "X-Shopify-Event-Id"),
            shop=shop or expected_shop,
            api_version=_header(headers, "X-Shopify-API-Version"),
            triggered_at=_header(headers, "X-Shopify-Triggered-At"),
            received_at=self.clock().isoformat(),
            correlation_id=correlation_id.get() or uuid.uuid4().hex,
            resource_id=resource,
            payload=payload,
        )
        self._note_version(envelope)
        try:
            return self._store_and_enqueue(envelope, queue, body)
        except AzureError as error:
            log_event(
                log,
                "webhook.storage_unavailable",
                topic=topic,
                webhook_id=webhook_id,
                error=type(error).__name__,
                correlation_id=envelope.correlation_id,
            )
            return IntakeResult(
                503,
                "storage unavailable, retry later",
                correlation_id=envelope.correlation_id,
                headers={"Retry-After": "5"},
            )

    def _note_version(self, envelope: Envelope) -> None:
        """The body is serialized in the subscription's API version (``X-Shopify-API-Version``),
        which the envelope keeps for the consumers. A version other than the configured one (a
        subscription made earlier, or a retired version that fell forward) is worth a warning; the
        line names versions and ids only."""
        configured = self.settings.SHOPIFY_API_VERSION
        if envelope.api_version and envelope.api_version != configured:
            log_event(
                log,
                "webhook.api_version_mismatch",
                logging.WARNING,
                topic=envelope.topic,
                webhook_id=envelope.webhook_id,
                delivered=envelope.api_version,
                configured=configured,
                hint="the subscription was made in another version; re-create it with the configured one",
            )

    # -- de-duplication and enqueue ----------------------------------------------------------------
    @staticmethod
    def dedupe_key(envelope: Envelope) -> str:
        """One key per delivery: the event id when Shopify sends one (every delivery of one event on one
        topic shares it, and a retry of a delivery keeps it), the webhook id otherwise."""
        if envelope.event_id:
            return f"e_{safe_key(envelope.event_id)}"
        return f"w_{safe_key(envelope.webhook_id)}"

    def _store_and_enqueue(self, envelope: Envelope, queue: str, body: bytes) -> IntakeResult:
        """Two storage calls on the way to 200: the queue put, then one insert-if-absent of the dedupe
        record. Enqueueing first means no crash can leave a record without its message (the delivery
        would then be lost as a "duplicate"); a crash between the two leaves a message without a
        record, and Shopify's retry queues a second message that the consumers absorb (idempotent by
        source id). A delivery whose insert finds a record is a duplicate: its own message is deleted
        again (extra calls on that rare path only)."""
        table = self.storage.table(tables.WEBHOOKS)
        partition = safe_key(envelope.topic)
        key = self.dedupe_key(envelope)
        sent, inline = self._enqueue(envelope, queue, body)
        try:
            table.create_entity(
                {
                    "PartitionKey": partition,
                    "RowKey": key,
                    "Status": "queued",
                    "WebhookId": envelope.webhook_id,
                    "EventId": envelope.event_id,
                    "Topic": envelope.topic,
                    "ResourceId": envelope.resource_id,
                    "TriggeredAt": envelope.triggered_at,
                    "ReceivedAt": envelope.received_at,
                    "CorrelationId": envelope.correlation_id,
                    "Queue": queue,
                }
            )
        except ResourceExistsError:
            self._withdraw(sent)
            found = self._get(table, partition, key) or {}
            cid = str(found.get("CorrelationId", ""))
            log_event(
                log, "webhook.duplicate", topic=envelope.topic, webhook_id=envelope.webhook_id, correlation_id=cid
            )
            return IntakeResult(
                200, "duplicate delivery, already queued", duplicate=True, queue=queue, correlation_id=cid
            )
        except AzureError as error:
            # The message is queued (the effect that matters); without the record a redelivery would
            # queue a duplicate that the consumers absorb.
            log_event(log, "webhook.dedupe_write_failed", topic=envelope.topic, error=type(error).__name__)
        log_event(
            log,
            "webhook.queued",
            topic=envelope.topic,
            webhook_id=envelope.webhook_id,
            queue=queue,
            resource_id=envelope.resource_id,
            inline=inline,
            correlation_id=envelope.correlation_id,
        )
        return IntakeResult(200, "queued", queue=queue, correlation_id=envelope.correlation_id)

    def _withdraw(self, sent: list[tuple[str, Any]]) -> None:
        """Delete the messages a duplicate delivery has just queued. A consumer that already took one
        holds a new pop receipt (the delete then fails) and absorbs the duplicate."""
        for name, message in sent:
            try:
                self.storage.queue(name).delete_message(message)
            except AzureError:
                pass

    def _enqueue(self, envelope: Envelope, queue: str, body: bytes) -> tuple[list[tuple[str, Any]], bool]:
        """Queue the envelope (through a blob when it is too large); (the messages sent, inline)."""
        message = envelope.to_message()
        inline = len(message.encode()) <= QUEUE_MESSAGE_MAX_RAW_BYTES
        if not inline:
            name = blob_name(envelope.topic, envelope.resource_id, envelope.webhook_id)
            self.storage.container(PAYLOAD_CONTAINER).upload_blob(name, body, overwrite=True)
            message = envelope.model_copy(update={"payload": None, "payload_blob": name}).to_message()
        sent = [(queue, self.storage.queue(queue).send_message(message))]
        if also_for_crm(envelope.topic, self.settings.DATAVERSE_URL is not None):
            # Fan-out to the CRM flow's own queue. Should this send fail, the delivery answers 503 and
            # Shopify redelivers: the F&O consumer absorbs the repeated message (idempotent by source id).
            sent.append((queues.CRM, self.storage.queue(queues.CRM).send_message(message)))
        return sent, inline

    @staticmethod
    def _get(table: Any, partition: str, row: str) -> dict[str, Any] | None:
        try:
            return dict(table.get_entity(partition, row))
        except ResourceNotFoundError:
            return None
