"""What the CRM flow answers per message, its one retry-later error, and what ``lifecycle.py`` and
``fo_numbers.py`` need of the flow (:class:`CrmFlow`; ``service.CrmSync`` is one), so they and
``service.py`` share these without importing each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from integration.clients.dataverse import DataverseClient
from integration.crm.config import CrmConfig
from integration.crm.records import CrmOrders
from integration.errors import Transient
from shared.storage import Storage


class CrmNotReady(Transient):
    """The event needs a salesorder that is not in Dataverse yet: the queue retries later."""


@dataclass
class Outcome:
    action: str  # written | unchanged | blocked | ignored | refunded | linked
    detail: str = ""
    salesorder_id: str = ""
    events: tuple[str, ...] = ()


class CrmFlow(Protocol):
    storage: Storage
    client: DataverseClient
    config: CrmConfig
    orders: CrmOrders

    def done(self, entity: str, entity_id: str, outcome: Outcome) -> Outcome:
        """Audit the outcome of one document and return it."""
        ...
