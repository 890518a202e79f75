"""The session's Azurite, whichever path gave it (npm or Docker): a queue round trip. Also the inner test
that sandbox/tests/harness/test_azurite_docker_fixture.py runs in a session forced onto the Docker path."""

from __future__ import annotations

import uuid

from sandbox.tests.conftest import Sdk


def test_the_session_azurite_stores_and_returns_a_message(azurite: str, azurite_path: str) -> None:
    queue = Sdk(azurite).raw_queue(f"session-{uuid.uuid4().hex[:12]}")
    queue.send_message("hello")
    assert [m.content for m in queue.receive_messages()] == ["hello"]
    queue.delete_queue()
    print(f"azurite path {azurite_path}: {azurite}")
