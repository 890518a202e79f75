"""The Azurite path rule (Docker or npm) and the Docker probe, without a Docker daemon.

The probe runs against stand-in ``docker`` executables on PATH: a client whose daemon answers, one
whose daemon is down, one that hangs, and no client at all.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sandbox.harness.stack.azurite_backend import AzuriteChoiceError, DockerStatus, choose, probe_docker

UP = DockerStatus(daemon=True, compose=True)
DOWN = DockerStatus(daemon=False, compose=False, detail="`docker info` exited 1: Cannot connect to the Docker daemon")
NO_COMPOSE = DockerStatus(daemon=True, compose=False, detail="`docker compose` exited 125: unknown command")


def never() -> DockerStatus:
    raise AssertionError("AZURITE=npm must not probe Docker")


@pytest.mark.parametrize("setting", [None, "", "auto", " AUTO "])
def test_unset_takes_docker_when_the_daemon_answers(setting: str | None) -> None:
    assert choose(setting, lambda: UP) == "docker"


@pytest.mark.parametrize("status", [DOWN, NO_COMPOSE])
def test_unset_falls_back_to_npm_when_docker_does_not_answer(status: DockerStatus) -> None:
    assert choose(None, lambda: status) == "npm"


def test_npm_override_wins_over_a_running_daemon_without_probing() -> None:
    assert choose("npm", never) == "npm"
    assert choose("NPM", never) == "npm"


def test_docker_override_uses_docker_when_it_answers() -> None:
    assert choose("docker", lambda: UP) == "docker"


def test_docker_override_without_a_daemon_fails_loudly() -> None:
    with pytest.raises(AzuriteChoiceError, match=r"AZURITE=docker, but no Docker daemon answers.*Cannot connect"):
        choose("docker", lambda: DOWN)


def test_docker_override_without_compose_fails_loudly() -> None:
    with pytest.raises(AzuriteChoiceError, match=r"docker compose. is not available"):
        choose("docker", lambda: NO_COMPOSE)


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(AzuriteChoiceError, match="AZURITE='podman' is not understood"):
        choose("podman", lambda: UP)


def _client(folder: Path, script: str) -> None:
    """A stand-in ``docker`` client: a shell script on PATH."""
    path = folder / "docker"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def test_probe_without_a_docker_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    status = probe_docker()
    assert status == DockerStatus(False, False, "no docker client on PATH")
    assert choose(None, lambda: status) == "npm"


def test_probe_with_a_client_whose_daemon_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _client(
        tmp_path,
        'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2\n'
        "exit 1\n",
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    status = probe_docker()
    assert not status.daemon and not status.compose
    assert "exited 1: Cannot connect to the Docker daemon" in status.detail
    assert choose(None, lambda: status) == "npm"
    with pytest.raises(AzuriteChoiceError, match="Is the docker daemon running"):
        choose("docker", lambda: status)


def test_probe_with_a_client_that_hangs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _client(tmp_path, "exec /bin/sleep 30\n")
    monkeypatch.setenv("PATH", str(tmp_path))
    status = probe_docker(timeout=0.5)
    assert not status.daemon
    assert "did not answer within 0.5 s" in status.detail


def test_probe_with_a_daemon_but_no_compose_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _client(
        tmp_path,
        'if [ "$1" = info ]; then echo 27.3.1; exit 0; fi\n'
        'echo "docker: unknown command: docker compose" >&2\nexit 125\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    status = probe_docker()
    assert status.daemon and not status.compose
    assert "unknown command: docker compose" in status.detail
    assert choose(None, lambda: status) == "npm"


def test_probe_with_a_daemon_and_a_standalone_docker_compose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _client(tmp_path, 'if [ "$1" = info ]; then echo 27.3.1; exit 0; fi\nexit 125\n')
    standalone = tmp_path / "docker-compose"
    standalone.write_text('#!/bin/sh\necho "docker-compose version 1.29.2"\n')
    standalone.chmod(standalone.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    status = probe_docker()
    assert status == DockerStatus(True, True, "", "docker-compose")
    assert choose("docker", lambda: status) == "docker"


def test_probe_with_a_daemon_and_compose(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _client(tmp_path, 'case "$1" in info) echo 27.3.1 ;; compose) echo "Docker Compose version v2.29.7" ;; esac\n')
    monkeypatch.setenv("PATH", str(tmp_path))
    status = probe_docker()
    assert status == DockerStatus(True, True, "", "docker compose")
    assert choose(None, lambda: status) == "docker"
