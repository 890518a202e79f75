"""Start the local Functions host as a separate process (used by the end-to-end tests, the demo,
the chaos suite and the benchmarks)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository: the default app directory
_STARTED = re.compile(r"Host started: (http://\S+)")


@dataclass
class HostProcess:
    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)
    log_file: Path | None = None

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, predicate: Callable[[str], bool], timeout: float = 60.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.text()):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise TimeoutError(
            f"local host: {what} not seen within {timeout}s; last output:\n" + "\n".join(self.lines[-30:])
        )

    def stop(self, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def kill(self) -> None:
        """Die like a crashed host: no graceful shutdown, in-flight messages keep their lease."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def start_host(
    env: Mapping[str, str],
    app_dir: Path = ROOT,
    port: int = 0,
    timeout: float = 60.0,
    log_file: Path | None = None,
    settings_file: str = "",
) -> HostProcess:
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), full_env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [
        sys.executable,
        "-m",
        "sandbox.host",
        "--app-dir",
        str(app_dir),
        "--port",
        str(port),
        "--settings",
        settings_file,
    ]
    process = subprocess.Popen(
        cmd, cwd=str(ROOT), env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    host = HostProcess(process, log_file=log_file)
    sink = log_file.open("a") if log_file else None

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            host.lines.append(line.rstrip("\n"))
            if sink:
                sink.write(line)
                sink.flush()
            found = _STARTED.search(line)
            if found and not host.url:
                host.url = found.group(1)

    threading.Thread(target=pump, name="host-output", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not host.url:
        if process.poll() is not None or time.monotonic() > deadline:
            host.stop()
            raise RuntimeError("local host did not start:\n" + host.text()[-4000:])
        time.sleep(0.05)
    return host
