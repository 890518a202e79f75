"""Forced interleavings for race tests: a unit of work run on a thread that stops at a named pause point
(``shared.hooks.Hooks``) until the test lets it go on. No sleeps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from shared.hooks import Hooks


class HasHooks(Protocol):
    hooks: Hooks


class Paused:
    """Runs ``work`` on a thread that stops the first time it reaches ``point`` until :meth:`finish`."""

    def __init__(self, flow: HasHooks, point: str, work: Callable[[], Any]) -> None:
        self.reached, self.go = threading.Event(), threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        flow.hooks.on(point, self._stop)
        self.thread = threading.Thread(target=self._run, args=(work,))

    def _stop(self, _key: str) -> None:
        if threading.current_thread() is self.thread and not self.reached.is_set():
            self.reached.set()
            assert self.go.wait(30)

    def _run(self, work: Callable[[], Any]) -> None:
        try:
            self.result = work()
        except BaseException as error:  # reported by finish()
            self.error = error

    def start(self) -> Paused:
        self.thread.start()
        assert self.reached.wait(30), "the paused delivery never reached its pause point"
        return self

    def finish(self) -> Any:
        self.go.set()
        self.thread.join(30)
        if self.error is not None:
            raise self.error
        return self.result
