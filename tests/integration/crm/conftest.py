"""The CRM integration tests share the session's Azurite with the end-to-end hosts: no test here may
leave a message on a queue for those hosts to pick up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import queues
from shared.storage import Storage


@pytest.fixture(autouse=True)
def no_messages_left(storage: Storage) -> Iterator[None]:
    yield
    for name in queues.ALL:
        storage.queue(name).clear_messages()
