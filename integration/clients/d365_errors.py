"""F&O's errors, classified into the app's error tree (``integration/errors.py``): F&O puts the useful text
in ``error.innererror.message`` ("Write failed for table row of type ... Infolog: ...") and answers a failed
write inside a ``$batch`` changeset with an inner ``500``."""

from __future__ import annotations

from typing import Any

from integration.errors import Conflict, IntegrationError, Permanent, Transient


class D365Error(IntegrationError):
    def __init__(self, status: int, message: str, entity_set: str = "", body: Any = None) -> None:
        super().__init__(f"F&O {status} on {entity_set or 'request'}: {message}")
        self.status = status
        self.message = message
        self.entity_set = entity_set
        self.body = body


class D365ValidationError(D365Error, Permanent):
    """F&O refused the write (a permanent 4xx or a failed changeset): fix data or mapping, do not retry."""


class D365AlreadyExists(D365ValidationError):
    """The key exists: for deterministic keys this means an earlier attempt already created it."""


class D365NotFound(D365Error, Permanent):
    pass


class D365PreconditionFailed(D365Error, Conflict):
    """Stale ``If-Match`` ETag."""


class D365AuthError(D365Error, Permanent):
    pass


class D365Transient(D365Error, Transient):
    """429/5xx/timeouts/dropped connections that outlasted the client's own retries: retry later."""


def classify(status: int, payload: Any, entity_set: str = "", in_batch: bool = False) -> D365Error:
    error = (payload or {}).get("error", {}) if isinstance(payload, dict) else {}
    if not isinstance(error, dict):  # a gateway's or proxy's {"error": "text"}, not OData's error object
        error = {"message": str(error)}
    inner: dict[str, Any] = error["innererror"] if isinstance(error.get("innererror"), dict) else {}
    message = inner.get("message") or error.get("message") or (str(payload)[:500] if payload else f"HTTP {status}")
    text = message.lower()
    write_failure = "write failed" in text or "WriteException" in str(inner.get("type", ""))
    if "already exist" in text:
        return D365AlreadyExists(status, message, entity_set, payload)
    if "no resources were found" in text or status == 404:
        return D365NotFound(status, message, entity_set, payload)
    if status in (401, 403):
        return D365AuthError(status, message, entity_set, payload)
    if status == 412:
        return D365PreconditionFailed(status, message, entity_set, payload)
    # 408/429 that outlasted the retries are "not now", like a 5xx (Dataverse's classify says the same).
    if (400 <= status < 500 and status not in (408, 429)) or (in_batch and write_failure):
        return D365ValidationError(status, message, entity_set, payload)
    return D365Transient(status, message, entity_set, payload)
