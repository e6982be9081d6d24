"""Counting the mode-dependent MindSpore work a stretch of a run did.

What counts is what the mode changes: a Cell call, a grad, a graph compiled or reused (an
``ms.jit`` call), and a call of a public method of a Cell or a ``Model`` from the user's code
(``probes/method_calls.py``). Ops called outside any Cell, numpy and plain Python do not.
"""
from __future__ import annotations

from typing import Any

from ..mindspore_side.probes import ProbeUnavailable
from ..mindspore_side.probes.method_calls import MethodCalls


class CallCounter:
    """A probe listener that counts Cell calls and grads."""

    count = 0

    def forward_started(self, cell: Any, args: tuple) -> None:
        self.count += 1

    def grad_started(self, call: Any) -> None:
        self.count += 1

    def probe_failed(self, event: str, exc: Exception) -> None:
        """Nothing here can fail; the hub's listener contract asks for it."""


class Work:
    """The work done between ``start`` and ``stop``; ``heard`` is False when the probes or the compile
    watch are missing on this release, and then nothing is proved either way."""

    def __init__(self, session: Any) -> None:
        self._session = session
        self._calls = CallCounter()
        self._methods = MethodCalls(session.ms)
        self._log: Any = None
        self._probes: Any = None
        self.heard = False
        self.calls = self.graphs = 0

    def start(self) -> "Work":
        try:
            self._probes = self._session.probes()
        except ProbeUnavailable:
            return self
        if self._session.compiles is None:
            return self
        self.heard = True
        self._probes.listen(self._calls)
        self._log = self._session.compiles.start()
        self._methods.start()
        return self

    def stop(self) -> None:
        if not self.heard:
            return
        self._methods.stop()
        self._probes.stop(self._calls)
        self.graphs = len(self._log.events)
        self._session.compiles.stop(self._log)
        self.calls = self._calls.count + self._methods.count + self.graphs
