"""The Docker path of the session's ``azurite`` fixture, end to end through pytest-docker, on a machine
without Docker: a stand-in ``docker`` client answers ``info`` and plays Compose for the project's
``docker-compose.yml`` by running the npm Azurite on the host ports Compose would publish. A pytest
session run with ``AZURITE=docker`` must bring the project up with free ports, find them with
``docker compose port``, wait for Azurite, hand its tests a working connection string and take the
project down at the end."""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Plays `docker info` and `docker compose -f FILE -p NAME version|up|port|down` with the npm Azurite.
FAKE_DOCKER = r"""
import json, os, shlex, signal, subprocess, sys
from pathlib import Path

import yaml

state_file = Path(__file__).with_name("state.json")
state = json.loads(state_file.read_text()) if state_file.exists() else {"calls": []}
args = sys.argv[1:]
state["calls"].append(shlex.join(args))
state_file.write_text(json.dumps(state))
if args[:1] == ["info"]:
    print("27.3.1")
    sys.exit(0)
assert args[:1] == ["compose"], args
args, files, project = args[1:], [], None
while args and args[0] in ("-f", "-p"):
    if args[0] == "-f":
        files.append(args[1])
    else:
        project = args[1]
    args = args[2:]
if args == ["version"]:
    print("Docker Compose version v2.29.7")
    sys.exit(0)
if args == ["up", "-d"]:
    service = yaml.safe_load(Path(files[0]).read_text())["services"]["azurite"]
    for variable in ("AZURITE_BLOB_PORT", "AZURITE_QUEUE_PORT", "AZURITE_TABLE_PORT"):
        assert any(variable in spec for spec in service["ports"]), service["ports"]
    # The session must have put free host ports in the variables the file publishes.
    ports = {c: int(os.environ[v]) for c, v in
             (("10000", "AZURITE_BLOB_PORT"), ("10001", "AZURITE_QUEUE_PORT"), ("10002", "AZURITE_TABLE_PORT"))}
    assert "--loose" in service["command"] and "--skipApiVersionCheck" in service["command"], service
    cmd = [os.environ["FAKE_AZURITE"], "--blobPort", str(ports["10000"]), "--queuePort", str(ports["10001"]),
           "--tablePort", str(ports["10002"]), "--location", str(state_file.with_name("data")),
           "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent"]
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    state.update(project=project, file=files[0], pid=process.pid, ports=ports)
elif args[:1] == ["port"]:
    print("0.0.0.0:%d" % state["ports"][args[2]])
elif args == ["down", "-v"]:
    os.kill(state["pid"], signal.SIGTERM)
    state["down"] = True
else:
    sys.exit("fake docker: unexpected " + shlex.join(args))
state_file.write_text(json.dumps(state))
"""

INNER = "sandbox/tests/harness/test_session_azurite.py"


@pytest.mark.azurite
def test_azurite_docker_runs_the_compose_project_and_takes_it_down(tmp_path: Path) -> None:
    azurite = ROOT / "node_modules" / ".bin" / "azurite"
    assert azurite.exists(), "scripts/setup installs the npm Azurite"
    (tmp_path / "fake_docker.py").write_text(FAKE_DOCKER)
    docker = tmp_path / "docker"
    docker.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{tmp_path / "fake_docker.py"}" "$@"\n')
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "AZURITE": "docker", "FAKE_AZURITE": str(azurite), "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-s", "-q", INNER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    state = json.loads((tmp_path / "state.json").read_text())
    if state.get("pid") and not state.get("down"):  # never leave an Azurite behind, even on failure
        os.kill(state["pid"], 15)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
    assert state["file"] == str(ROOT / "docker-compose.yml")
    assert state["project"].startswith("pytest")
    assert state.get("down") is True, state["calls"]
    # Free ports, not the defaults a developer's own Azurite may hold.
    assert not {10000, 10001, 10002} & set(state["ports"].values())
    assert "azurite path docker: DefaultEndpointsProtocol=http;" in done.stdout
    assert f"QueueEndpoint=http://127.0.0.1:{state['ports']['10001']}/" in done.stdout
    steps = [shlex.split(call)[5:] for call in state["calls"] if call.startswith("compose -f")]
    assert steps[0] == ["up", "-d"] and steps[-1] == ["down", "-v"], steps
    assert ["port", "azurite", "10000"] in steps and ["port", "azurite", "10002"] in steps
