"""``python -m sandbox.harness.stack``: the whole stack locally (Azurite, the emulators, the app on the local
Functions host), then a demo that sends signed sample webhooks and shows what happened.

Runs until Ctrl-C, or exits after the demo with ``--demo-only``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
from contextlib import ExitStack

from rich.console import Console

from sandbox.harness import APP_ROOT as ROOT
from sandbox.harness.demo.run import run_demo
from sandbox.harness.stack import azurite
from sandbox.harness.stack.emulators import start_emulators
from sandbox.host.process import start_host

console = Console()


def app_settings(storage: str, emulator_urls: dict[str, str]) -> dict[str, str]:
    """Settings for the local host: local.settings.json if present, else the example, pointed at the
    Azurite and emulators started here."""
    source = ROOT / "local.settings.json"
    if not source.exists():
        source = ROOT / "local.settings.example.json"
    values: dict[str, str] = {k: str(v) for k, v in json.loads(source.read_text())["Values"].items()}
    values["AzureWebJobsStorage"] = storage
    for key, url in emulator_urls.items():
        values[key] = url
    return values


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.harness.stack", description=__doc__)
    parser.add_argument("--port", type=int, default=7071, help="local host HTTP port")
    parser.add_argument("--demo-only", action="store_true", help="exit after the demo")
    parser.add_argument("--no-demo", action="store_true")
    parser.add_argument("--crm", action="store_true", help="also start the Dataverse emulator (CRM flow on)")
    args = parser.parse_args()

    with ExitStack() as stack:
        existing = azurite.running_default()
        if existing:
            console.print("[green]Azurite[/] already running on 10000-10002: reusing it")
            storage = existing
        else:
            # A fresh data folder per run: the emulators start empty too, so old records would only confuse.
            location = ROOT / ".local" / "azurite"
            shutil.rmtree(location, ignore_errors=True)
            instance = azurite.start(location=location, blob=10000, queue=10001, table=10002)
            stack.callback(instance.stop)
            storage = instance.connection_string
            console.print("[green]Azurite[/] started on 127.0.0.1:10000-10002 (fresh data in .local/azurite)")
        emulators = start_emulators(settings=app_settings(storage, {}), crm=args.crm)
        stack.callback(emulators.stop)
        for name, url in emulators.urls.items():
            console.print(f"[green]{name} emulator[/] at {url} (operator API: {url}/_emulator/state)")
        settings = app_settings(storage, emulators.settings())
        log_file = ROOT / ".local" / "host.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.unlink(missing_ok=True)
        host = start_host(settings, port=args.port, log_file=log_file)
        stack.callback(host.stop)
        console.print(f"[green]Functions app[/] on the local host at {host.url} (log: .local/host.log)")
        console.print(host.text())
        if not args.no_demo:
            ok = run_demo(host, settings, emulators, console)
            if args.demo_only:
                return 0 if ok else 1
        console.print("\nRunning. Press Ctrl-C to stop.")
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        try:
            while not stop["now"] and host.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        console.print("Stopping…")
    return 0


if __name__ == "__main__":
    sys.exit(main())
