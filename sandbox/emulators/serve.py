"""Run an ASGI app with uvicorn on 127.0.0.1, in the foreground or in a background thread.

Tests, the demo and the benchmarks use :func:`start_in_thread` with port 0 to get a free port.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn

HOST = "127.0.0.1"


@dataclass
class RunningServer:
    url: str
    port: int
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def bind(port: int = 0) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only disables Nagle (TCP_NODELAY) on sockets whose protocol says
    # TCP, and without it every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _config(app: Any, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app, log_level=log_level, access_log=False, lifespan="auto", timeout_graceful_shutdown=2, backlog=2048
    )


def start_in_thread(app: Any, port: int = 0, log_level: str = "warning", name: str = "emulator") -> RunningServer:
    sock = bind(port)
    actual = sock.getsockname()[1]
    server = uvicorn.Server(_config(app, log_level))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not start on port {actual}")
        time.sleep(0.01)
    return RunningServer(url=f"http://{HOST}:{actual}", port=actual, server=server, thread=thread)


def run_forever(app: Any, port: int, log_level: str = "info") -> None:
    logging.basicConfig(level=log_level.upper())
    uvicorn.Server(_config(app, log_level)).run(sockets=[bind(port)])
