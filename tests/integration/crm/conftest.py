"""The CRM integration tests share the session's Azurite with the end-to-end hosts: no test here may
leave a message on a queue for those hosts to pick up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import queues
from shared.storage import Storage
from tests.crm_fixtures import dv, dv_admin, dv_server  # noqa: F401  (fixtures for every CRM test here)
from tests.integration.crm.test_crm_sync import crm  # noqa: F401  (a CrmSync on that emulator)


@pytest.fixture(autouse=True)
def no_messages_left(storage: Storage) -> Iterator[None]:
    yield
    for name in queues.ALL:
        storage.queue(name).clear_messages()
