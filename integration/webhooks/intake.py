"""Webhook intake: verify the HMAC, validate, de-duplicate in Table Storage and enqueue.

The answer must reach Shopify well inside its 5 s: the work here is one table transaction, one
queue message (plus a blob for a large body) and one table update.

De-duplication keys are ``(topic, X-Shopify-Webhook-Id)`` and ``(topic, X-Shopify-Event-Id)``:
Shopify documents the first as the per-delivery id, and whether a retry keeps it is disputed, while
the event id is shared by every delivery of one merchant action on one topic. A record moves from
``received`` to ``queued``; a delivery that finds ``queued`` is a duplicate (200, nothing queued),
one that finds a fresh ``received`` is in progress elsewhere (409, Shopify retries later), and one
that finds a stale ``received`` (an earlier attempt died before enqueueing) takes over.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import UpdateMode

from integration.webhooks import signature
from integration.webhooks.envelope import PAYLOAD_CONTAINER, Envelope, blob_name, fits_inline
from integration.webhooks.topics import also_for_crm, queue_for, resource_id
from shared import queues
from shared.limits import bad_id, json_problem
from shared.logs import correlation_id, get_logger, log_event
from shared.settings import Settings, SettingsError
from shared.storage import Storage, safe_key

log = get_logger(__name__)

DEDUP_TABLE = "webhooks"
IN_PROGRESS_WINDOW = timedelta(seconds=60)
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
    def _keys(self, envelope: Envelope) -> list[str]:
        keys = [f"w_{safe_key(envelope.webhook_id)}"]
        if envelope.event_id:
            keys.append(f"e_{safe_key(envelope.event_id)}")
        return keys

    def _store_and_enqueue(self, envelope: Envelope, queue: str, body: bytes) -> IntakeResult:
        # Single-entity operations only: an entity group transaction costs several times more (and
        # tens of milliseconds on Azurite) for what two inserts do as well here.
        table = self.storage.table(DEDUP_TABLE)
        partition = safe_key(envelope.topic)
        record = {
            "PartitionKey": partition,
            "Status": "received",
            "WebhookId": envelope.webhook_id,
            "EventId": envelope.event_id,
            "Topic": envelope.topic,
            "ResourceId": envelope.resource_id,
            "TriggeredAt": envelope.triggered_at,
            "ReceivedAt": envelope.received_at,
            "CorrelationId": envelope.correlation_id,
            "Queue": queue,
        }
        keys = self._keys(envelope)
        claimed: list[str] = []
        found: list[dict[str, Any]] = []
        for key in keys:
            try:
                table.create_entity({**record, "RowKey": key})
                claimed.append(key)
            except ResourceExistsError:
                found.append(self._get(table, partition, key) or {"RowKey": key})
        if found:
            done = [e for e in found if e.get("Status") in ("queued", "duplicate")]
            if done:
                cid = str(done[0].get("CorrelationId", ""))
                self._mark(table, partition, claimed, "duplicate")
                log_event(
                    log, "webhook.duplicate", topic=envelope.topic, webhook_id=envelope.webhook_id, correlation_id=cid
                )
                return IntakeResult(
                    200, "duplicate delivery, already queued", duplicate=True, queue=queue, correlation_id=cid
                )
            if any(self._fresh(e) for e in found):
                self._forget(table, partition, claimed)
                return IntakeResult(
                    409, "the same webhook is being processed, retry later", headers={"Retry-After": "10"}
                )
            # An earlier attempt died between recording and enqueueing: take it over.
            for entity in found:
                table.upsert_entity({**record, "RowKey": entity["RowKey"]}, mode=UpdateMode.REPLACE)
        try:
            self._enqueue(envelope, queue, body)
        except AzureError:
            self._forget(table, partition, keys)
            raise
        try:
            self._mark(table, partition, keys, "queued")
        except AzureError as error:
            # The message is queued (the effect that matters); a retry would only re-queue a duplicate
            # that the consumers absorb.
            log_event(log, "webhook.mark_queued_failed", topic=envelope.topic, error=type(error).__name__)
        log_event(
            log,
            "webhook.queued",
            topic=envelope.topic,
            webhook_id=envelope.webhook_id,
            queue=queue,
            resource_id=envelope.resource_id,
            inline=envelope.payload is not None,
            correlation_id=envelope.correlation_id,
        )
        return IntakeResult(200, "queued", queue=queue, correlation_id=envelope.correlation_id)

    @staticmethod
    def _mark(table: Any, partition: str, keys: list[str], status: str) -> None:
        for key in keys:
            table.update_entity({"PartitionKey": partition, "RowKey": key, "Status": status}, mode=UpdateMode.MERGE)

    def _enqueue(self, envelope: Envelope, queue: str, body: bytes) -> None:
        if not fits_inline(envelope):
            name = blob_name(envelope.topic, envelope.resource_id, envelope.webhook_id)
            self.storage.container(PAYLOAD_CONTAINER).upload_blob(name, body, overwrite=True)
            envelope = envelope.model_copy(update={"payload": None, "payload_blob": name})
        message = envelope.to_message()
        self.storage.queue(queue).send_message(message)
        if also_for_crm(envelope.topic, self.settings.DATAVERSE_URL is not None):
            # Fan-out to the CRM flow's own queue. Should this send fail, the delivery answers 503 and
            # Shopify redelivers: the F&O consumer absorbs the repeated message (idempotent by source id).
            self.storage.queue(queues.CRM).send_message(message)

    def _fresh(self, entity: Mapping[str, Any]) -> bool:
        try:
            received = datetime.fromisoformat(str(entity.get("ReceivedAt")))
        except ValueError:
            return False
        return self.clock() - received < IN_PROGRESS_WINDOW

    @staticmethod
    def _get(table: Any, partition: str, row: str) -> dict[str, Any] | None:
        try:
            return dict(table.get_entity(partition, row))
        except ResourceNotFoundError:
            return None

    @staticmethod
    def _forget(table: Any, partition: str, keys: list[str]) -> None:
        for key in keys:
            try:
                table.delete_entity(partition, key)
            except AzureError:
                pass
