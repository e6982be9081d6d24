"""``--ms-both-modes=all`` on a test that never calls MindSpore: its GRAPH_MODE twin is skipped.

The mode changes what a Cell call, an ``ms.jit`` function or a grad does; ops called
outside them run eagerly in both modes, and plain Python not at all. So when a pair's
PYNATIVE_MODE variant (which runs first, on the same worker) made none of those calls,
its GRAPH_MODE twin would run the very same code again: mindnlp's torch-compatibility
tests took 35 s instead of 16 s for it. The twin is skipped, with that reason.

Only pairs the option made: a test marked ``both_modes``, or one that parametrizes its
own mode, is the user's explicit choice and always runs in both modes.
"""
from __future__ import annotations

from typing import Any, Optional

import pytest

from ..checks.builtin.probed import shared_probes
from ..core.modes import Mode
from ..mindspore_side.probes import ProbeUnavailable
from .pairing import pair_key
from .variants import MODE_PARAM

REASON = ("msgraph: its PYNATIVE_MODE twin made no Cell, ms.jit or grad call, so GRAPH_MODE would run the same code "
          "(--ms-both-modes=all); mark it @pytest.mark.both_modes to run it anyway")


class _Usage:
    """A probe listener that only notes that MindSpore's mode-dependent code ran."""

    used = False

    def forward_started(self, cell: Any, args: tuple) -> None:
        self.used = True

    def grad_started(self, call: Any) -> None:
        self.used = True

    def probe_failed(self, event: str, exc: Exception) -> None:
        """Nothing here can fail; the hub's listener contract asks for it."""


class IdleTwins:
    def __init__(self, both_modes: str) -> None:
        self.enabled = both_modes == "all"
        self._idle: set = set()  # pairs whose PYNATIVE_MODE variant made no MindSpore call
        self._probes: Any = None

    def _variant(self, item: pytest.Item) -> Optional[Mode]:
        callspec = getattr(item, "callspec", None)
        if not self.enabled or callspec is None or MODE_PARAM not in callspec.params \
                or item.get_closest_marker("both_modes") is not None:
            return None
        return callspec.params[MODE_PARAM]

    def skip_reason(self, item: pytest.Item) -> Optional[str]:
        if self._variant(item) is Mode.GRAPH_MODE and pair_key(item) in self._idle:
            return REASON
        return None

    def watch(self, item: pytest.Item, ms: Any) -> Optional[_Usage]:
        """Start listening for the call phase of a PYNATIVE_MODE variant the option made."""
        if self._variant(item) is not Mode.PYNATIVE_MODE:
            return None
        try:
            self._probes = shared_probes(ms)
        except ProbeUnavailable:
            self.enabled = False  # without probes every twin runs, as before
            return None
        usage = _Usage()
        self._probes.listen(usage)
        return usage

    def finished(self, item: pytest.Item, usage: Optional[_Usage], compile_events: Optional[list]) -> None:
        if usage is None:
            return
        self._probes.stop(usage)
        if not usage.used and not compile_events:  # an ms.jit call logs a compile, or a cache hit
            self._idle.add(pair_key(item))
