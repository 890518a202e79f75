"""What the CRM flow answers per message, and its one retry-later error (shared by ``service.py``,
``lifecycle.py`` and ``fo_numbers.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from integration.errors import Transient


class CrmNotReady(Transient):
    """The event needs a salesorder that is not in Dataverse yet: the queue retries later."""


@dataclass
class Outcome:
    action: str  # written | unchanged | blocked | ignored | refunded | linked
    detail: str = ""
    salesorder_id: str = ""
    events: tuple[str, ...] = ()
