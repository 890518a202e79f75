"""The local host running the test app ``hostapp/`` (not the product) on the session's Azurite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.host.process import HostProcess, start_host

FAST_QUEUES = {
    # The real host reads these overrides too; they make retries immediate for the tests.
    "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:00",
    "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.500",
}


@pytest.fixture(scope="module")
def test_host(azurite: str) -> Iterator[HostProcess]:
    env = {
        "AzureWebJobsStorage": azurite,
        "HOSTAPP_SCHEDULE": "*/1 * * * * *",
        "HOSTAPP_MONITORED_SCHEDULE": "0 0 0 1 1 *",
        "PYTHON_THREADPOOL_THREAD_COUNT": "3",
        "LOCAL_HOST_FUNCTION_KEY": "fkey",
        "LOCAL_HOST_MASTER_KEY": "mkey",
        **FAST_QUEUES,
    }
    host = start_host(env, app_dir=Path(__file__).parent / "hostapp")
    yield host
    host.stop()
