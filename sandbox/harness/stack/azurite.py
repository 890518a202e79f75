"""Start and stop Azurite (npm package, pinned in package.json) for tests and the local run.

``start()`` launches ``node_modules/.bin/azurite`` on loopback with free ports (or the given ones),
a temporary data folder, ``--skipApiVersionCheck --disableTelemetry``, and returns the explicit
connection string. ``running_default()`` detects an Azurite the user already runs on the default
ports, which the run command reuses.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # the repository (node_modules)
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
_LISTENING = re.compile(r"Azurite (Blob|Queue|Table) service is successfully listening at http://[\d.]+:(\d+)")


def connection_string(blob: int, queue: int, table: int, host: str = "127.0.0.1") -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint=http://{host}:{blob}/{ACCOUNT};QueueEndpoint=http://{host}:{queue}/{ACCOUNT};"
        f"TableEndpoint=http://{host}:{table}/{ACCOUNT};"
    )


def executable() -> Path:
    path = ROOT / "node_modules" / ".bin" / "azurite"
    if not path.exists():
        raise RuntimeError("Azurite is not installed: run `npm ci` in the project folder (scripts/setup does it)")
    return path


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def running_default() -> str | None:
    """The connection string of an Azurite already on 10000-10002, if one is there."""
    if all(_listening(p) for p in (10000, 10001, 10002)):
        return connection_string(10000, 10001, 10002)
    return None


@dataclass
class Azurite:
    process: subprocess.Popen[str]
    ports: dict[str, int]
    location: Path
    owns_location: bool
    output: list[str] = field(default_factory=list)

    @property
    def connection_string(self) -> str:
        return connection_string(self.ports["Blob"], self.ports["Queue"], self.ports["Table"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.owns_location:
            shutil.rmtree(self.location, ignore_errors=True)


def start(
    location: Path | None = None, blob: int = 0, queue: int = 0, table: int = 0, timeout: float = 60.0
) -> Azurite:
    owns = location is None
    folder = Path(tempfile.mkdtemp(prefix="azurite-")) if location is None else location
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(executable()),
        "--blobHost",
        "127.0.0.1",
        "--queueHost",
        "127.0.0.1",
        "--tableHost",
        "127.0.0.1",
        "--blobPort",
        str(blob),
        "--queuePort",
        str(queue),
        "--tablePort",
        str(table),
        "--location",
        str(folder),
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--silent",
    ]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=str(ROOT))
    azurite = Azurite(process, {}, folder, owns)
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            azurite.output.append(line.rstrip())
            found = _LISTENING.search(line)
            if found:
                azurite.ports[found.group(1)] = int(found.group(2))
                if len(azurite.ports) == 3:
                    ready.set()

    threading.Thread(target=read, name="azurite-output", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not ready.wait(0.1):
        if process.poll() is not None or time.monotonic() > deadline:
            azurite.stop()
            raise RuntimeError("Azurite did not start:\n" + "\n".join(azurite.output[-20:]))
    return azurite
