"""Structured logs: one event name plus key=value fields, also attached as ``custom_dimensions``
so Application Insights can filter on them. Never pass secrets or personal data here."""

from __future__ import annotations

import contextvars
import json
import logging
import uuid
from typing import Any

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")


def new_correlation(value: str = "") -> str:
    """Start an invocation's correlation id. Every trigger calls this (or sets one from its message)
    first: the Python worker reuses pool threads for sync functions without a fresh context, so an
    id left from the previous invocation would otherwise leak into this one's logs and records."""
    cid = value or uuid.uuid4().hex
    correlation_id.set(cid)
    return cid


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def _fmt(value: Any) -> str:
    if isinstance(value, str) and value and " " not in value and "=" not in value:
        return value
    return json.dumps(value, default=str)


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    cid = fields.pop("correlation_id", None) or correlation_id.get()
    if cid:
        fields = {"correlation_id": cid, **fields}
    text = " ".join([event, *(f"{k}={_fmt(v)}" for k, v in fields.items() if v is not None)])
    logger.log(level, text, extra={"custom_dimensions": {"event": event, **fields}})
