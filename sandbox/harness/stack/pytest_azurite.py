"""The session's Azurite as a pytest plugin (fixtures ``azurite``, ``azurite_path``), for the product's
tests and the sandbox's own: a real Azurite, started for the session and stopped at the end.

Azurite comes from Docker (``docker-compose.yml`` through pytest-docker) when a Docker daemon
answers or ``AZURITE=docker`` is set, else from npm (``azurite.py``); ``AZURITE=npm`` forces npm.
The rule is ``azurite_backend.choose``. Loaded by the repository's top-level ``conftest.py``.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from sandbox import SAMPLES
from sandbox.harness import APP_ROOT as ROOT
from sandbox.harness.stack import azurite as azurite_mod
from sandbox.harness.stack import azurite_backend


@functools.cache
def _docker_status() -> azurite_backend.DockerStatus:
    return azurite_backend.probe_docker()


def _azurite_path() -> azurite_backend.Backend:
    return azurite_backend.choose(os.environ.get(azurite_backend.SETTING), _docker_status)


@pytest.fixture(scope="session")
def azurite_path() -> azurite_backend.Backend:
    """``docker`` or ``npm``: where the session's Azurite comes from (fails loudly on a bad AZURITE)."""
    return _azurite_path()


@pytest.fixture(scope="session")
def azurite(azurite_path: azurite_backend.Backend, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh Azurite for the session, on free loopback ports; yields its connection string."""
    if azurite_path == "docker":
        yield _docker_azurite(request)  # pytest-docker runs `docker compose down -v` at session end
        return
    instance = azurite_mod.start()
    try:
        yield instance.connection_string
    finally:
        instance.stop()


# pytest-docker: the project's docker-compose.yml (Azurite and Redis), a project name per session.
@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_compose_command() -> str:
    return _docker_status().compose_command  # the plugin, or a standalone docker-compose


@pytest.fixture(scope="session")
def docker_setup() -> list[str]:
    # Images only, nothing to build; readiness is checked over HTTP below (docker-compose v1 has no --wait).
    return ["up -d"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP(S)_PROXY


def _http_answers(url: str) -> bool:
    """Any HTTP answer counts (Azurite refuses an unsigned request with 403): the service listens."""
    try:
        with _DIRECT.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _docker_azurite(request: pytest.FixtureRequest) -> str:
    # Free host ports, so a developer's own Azurite/Redis on the default ports stays untouched.
    with pytest.MonkeyPatch.context() as env:
        for name in ("AZURITE_BLOB_PORT", "AZURITE_QUEUE_PORT", "AZURITE_TABLE_PORT", "REDIS_PORT"):
            env.setenv(name, str(_free_port()))
        try:
            services = request.getfixturevalue("docker_services")
        except Exception as error:
            raise RuntimeError(
                f"Azurite in Docker did not start ({error}); set AZURITE=npm to use the npm Azurite"
            ) from error
    host = str(request.getfixturevalue("docker_ip"))
    blob, queue, table = (services.port_for("azurite", port) for port in (10000, 10001, 10002))
    account = azurite_mod.ACCOUNT
    urls = [
        f"http://{host}:{blob}/{account}?comp=list",
        f"http://{host}:{queue}/{account}?comp=list",
        f"http://{host}:{table}/{account}/Tables",
    ]
    services.wait_until_responsive(check=lambda: all(_http_answers(url) for url in urls), timeout=60.0, pause=0.5)
    return azurite_mod.connection_string(blob, queue, table, host=host)


def pytest_sessionstart(session: pytest.Session) -> None:
    """An explicit AZURITE that cannot be honoured stops the run before any test, with the reason."""
    if os.environ.get(azurite_backend.SETTING, "").strip():
        try:
            _azurite_path()
        except azurite_backend.AzuriteChoiceError as error:
            raise pytest.UsageError(str(error)) from error


def pytest_report_header() -> list[str]:
    try:
        path = _azurite_path()
        forced = (os.environ.get(azurite_backend.SETTING) or "").strip().lower() == "npm"
        why = "" if path == "docker" else " (AZURITE=npm)" if forced else f" ({_docker_status().detail})"
        where = f"azurite: {path}{why}"
    except azurite_backend.AzuriteChoiceError as error:
        where = f"azurite: none ({error})"
    return [f"samples: {SAMPLES}", f"python: {sys.version.split()[0]}", where]
