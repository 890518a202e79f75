"""The one error tree, and the one place that says whether a failure is worth trying again.

Every error the integration raises about an external system or its own state is an
:class:`IntegrationError`, and exactly one of:

- :class:`Transient`: not now, maybe later (429/5xx/timeouts that outlasted the client's retries,
  a Shopify ``THROTTLED`` that did not clear, a refund whose money is still pending). The queue
  retries; a timer reads the document again next run.
- :class:`Permanent`: the same request gets the same answer (a 4xx other than 408/429, refused
  credentials, a mutation's ``userErrors``). Never retried as is: it becomes an exception for a
  person (``integration/cases.py``) once the data or the mapping is fixed.
- :class:`Conflict`: another writer changed the document since it was read (HTTP 412, a Table
  ETag, a record saved meanwhile). Retrying *blindly* is wrong, re-reading and re-planning is
  right, so for a queue it counts as transient.

The clients classify status codes into these classes once (``clients/d365.classify``,
``clients/dataverse.classify``, ``clients/fedex``, ``clients/shopify``); the flows catch the
client-specific subclasses where they need the detail, and :func:`is_transient` where they only
need "retry or not". Subclasses name their system (``D365Transient(D365Error, Transient)``), so a
handler can catch by system, by kind, or both.

This module imports nothing from integration/ (only ``shared/``, the layer below), so every layer
of it (clients, flows, triggers) can use it without a cycle.
"""

from __future__ import annotations

import httpx

from shared.lease import LeaseBusy
from shared.storage import storage_unavailable


class IntegrationError(Exception):
    """Base of every error about an external system or the integration's own state."""


class Transient(IntegrationError):
    """Not now: a later attempt may succeed without anything being fixed."""


class Permanent(IntegrationError):
    """Never as is: the same request gets the same answer until data, mapping or setup change."""


class Conflict(IntegrationError):
    """Another writer changed what was read: re-read and re-plan (a later delivery does)."""


# Failures of the network itself, raised by libraries rather than by our clients (after the clients'
# own retries, httpx errors are wrapped in each client's Transient); Azure Storage's: shared.storage.
_TRANSIENT_FOREIGN: tuple[type[BaseException], ...] = (httpx.TransportError, TimeoutError, ConnectionError)


def is_transient(error: BaseException) -> bool:
    """Whether a later delivery may not meet ``error``: a :class:`Transient` or :class:`Conflict`
    from our clients and stores, another holder's lease, a dropped connection, or Azure Storage
    answering 429/5xx. Everything else (a :class:`Permanent`, a bug) is not retried blindly."""
    # shared/ sits below integration/ and does not import it, so its lease error is named here
    # rather than subclassing Conflict.
    return isinstance(error, (Transient, Conflict, LeaseBusy, *_TRANSIENT_FOREIGN)) or storage_unavailable(error)
