"""Fixtures of the sandbox's own tests. The session's Azurite comes from the sandbox's pytest plugin
(``sandbox/harness/stack/pytest_azurite.py``, loaded by the repository's top-level conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from azure.core.exceptions import ResourceExistsError
from azure.storage.blob import BlobServiceClient, ContainerClient
from azure.storage.queue import QueueClient, QueueServiceClient, TextBase64DecodePolicy, TextBase64EncodePolicy


def present[T](value: T | None) -> T:
    """The value a test expects to be there: fails the test (not a type check) when it is None."""
    assert value is not None, "expected a value, got None"
    return value


def _made[C](client: C, create: Callable[[], object]) -> C:
    try:
        create()
    except ResourceExistsError:
        pass
    return client


class Sdk:
    """Storage for a test, straight from the Azure SDK: the host's own storage code is under test, so a
    test neither shares it nor the app's."""

    def __init__(self, connection_string: str) -> None:
        self.queues = QueueServiceClient.from_connection_string(connection_string)
        self.blobs = BlobServiceClient.from_connection_string(connection_string)

    def queue(self, name: str) -> QueueClient:
        """A queue whose messages are written and read as base64 (what the host expects by default)."""
        client = self.queues.get_queue_client(
            name, message_encode_policy=TextBase64EncodePolicy(), message_decode_policy=TextBase64DecodePolicy()
        )
        return _made(client, client.create_queue)

    def raw_queue(self, name: str) -> QueueClient:
        """A queue whose message text is sent and read verbatim."""
        client = self.queues.get_queue_client(name)
        return _made(client, client.create_queue)

    def container(self, name: str) -> ContainerClient:
        client = self.blobs.get_container_client(name)
        return _made(client, client.create_container)


@pytest.fixture
def storage(azurite: str) -> Sdk:
    return Sdk(azurite)
