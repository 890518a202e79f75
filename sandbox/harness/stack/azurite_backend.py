"""Which Azurite the test session uses: Docker (``docker-compose.yml`` through pytest-docker) or npm.

``choose()`` is the rule, pure: ``AZURITE=npm`` forces the npm Azurite (``sandbox/harness/stack/azurite.py``);
``AZURITE=docker`` forces Docker and fails loudly when no Docker daemon (or no Compose) answers;
unset (or ``auto``) takes Docker when a daemon and Compose answer, else npm. ``probe_docker()`` asks
the real ``docker`` client; it is called only when the rule needs it, so ``AZURITE=npm`` costs nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Backend = Literal["docker", "npm"]
SETTING = "AZURITE"


class AzuriteChoiceError(RuntimeError):
    """The AZURITE setting asks for something this machine cannot give."""


@dataclass(frozen=True)
class DockerStatus:
    daemon: bool  # `docker info` answered
    compose: bool  # `docker compose version` (or the older `docker-compose version`) answered
    detail: str = ""  # why not, for the error message
    compose_command: str = "docker compose"  # what pytest-docker runs


def choose(setting: str | None, probe: Callable[[], DockerStatus]) -> Backend:
    value = (setting or "").strip().lower()
    if value == "npm":
        return "npm"
    if value not in ("", "auto", "docker"):
        raise AzuriteChoiceError(
            f"{SETTING}={setting!r} is not understood: use docker, npm or auto (or leave it unset)"
        )
    status = probe()
    if value == "docker":
        if not status.daemon:
            raise AzuriteChoiceError(
                f"{SETTING}=docker, but no Docker daemon answers ({status.detail or '`docker info` failed'}). "
                f"Start Docker, or unset {SETTING} (or set {SETTING}=npm) to use the npm Azurite."
            )
        if not status.compose:
            raise AzuriteChoiceError(
                f"{SETTING}=docker, but `docker compose` is not available ({status.detail or 'no Compose'}). "
                f"Install the Docker Compose plugin (or docker-compose), or unset {SETTING} to use the npm Azurite."
            )
        return "docker"
    return "docker" if status.daemon and status.compose else "npm"


def _answers(command: list[str], shown: str, timeout: float) -> tuple[bool, str]:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"`{shown}` did not answer within {timeout:g} s"
    except OSError as error:
        return False, f"`{shown}` could not run: {error.strerror}"
    if done.returncode == 0:
        return True, ""
    lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    return False, f"`{shown}` exited {done.returncode}: {lines[-1] if lines else 'no output'}"


def probe_docker(timeout: float = 15.0) -> DockerStatus:
    """Ask the ``docker`` client on PATH whether its daemon and Compose (plugin or standalone) answer."""
    docker = shutil.which("docker")
    if docker is None:
        return DockerStatus(False, False, "no docker client on PATH")
    daemon, why = _answers([docker, "info", "--format", "{{.ServerVersion}}"], "docker info", timeout)
    if not daemon:
        return DockerStatus(False, False, why)
    compose, why = _answers([docker, "compose", "version"], "docker compose", timeout)
    if compose:
        return DockerStatus(True, True)
    standalone = shutil.which("docker-compose")  # Compose v1 / distribution packages
    if standalone is not None and _answers([standalone, "version"], "docker-compose", timeout)[0]:
        return DockerStatus(True, True, compose_command="docker-compose")
    return DockerStatus(True, False, why)
