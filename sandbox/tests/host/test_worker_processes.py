"""FUNCTIONS_WORKER_PROCESS_COUNT in the local host: N worker processes on one socket, sharing the
queues. Its own module: the module-scoped host of test_local_host.py listens on the same queue."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from sandbox.host.process import start_host
from sandbox.tests.host.conftest import FAST_QUEUES


def test_worker_processes_share_the_socket_and_the_queues(azurite: str) -> None:
    env = {
        "AzureWebJobsStorage": azurite,
        "HOSTAPP_SCHEDULE": "0 0 0 1 1 *",
        "HOSTAPP_MONITORED_SCHEDULE": "0 0 0 1 1 *",
        "FUNCTIONS_WORKER_PROCESS_COUNT": "2",
        **FAST_QUEUES,
    }
    host = start_host(env, app_dir=Path(__file__).parent / "hostapp")
    try:
        host.wait_for(lambda t: t.count("Host started:") == 2, what="both worker processes started")
        children = Path(f"/proc/{host.process.pid}/task/{host.process.pid}/children").read_text().split()
        assert len(children) == 2
        tokens = [uuid.uuid4().hex for _ in range(12)]
        for token in tokens:
            assert httpx.post(f"{host.url}/api/enqueue", content=f"ok-{token}".encode()).status_code == 202
        host.wait_for(lambda t: all(f"WORK ok-{token}" in t for token in tokens), what="every message consumed")
        assert all(host.text().count(f"WORK ok-{token} ") == 1 for token in tokens)  # each by one process
    finally:
        assert host.stop() == 0
