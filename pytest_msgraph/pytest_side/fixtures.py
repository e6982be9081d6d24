"""What the plugin's fixtures need from a test's run: a check to report for, and the MindSpore mode.

The torch_parity fixture reports as check ``torch_parity`` through the same frame as
the probed checks (policy, ms_allow, summary, JSON), hides its own MindSpore calls
from those checks, and re-runs a GRAPH_MODE cell eagerly to localise a difference.
"""
from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator, Optional

import pytest

from ..checks.findings import TestRun
from ..mindspore_side.context_guard import eagerly
from .lifecycle import ITEM_KEY
from .state import PluginState
from .warning import MsGraphWarning


class CheckReporter:
    """How a fixture reports for a check (torch_parity): counts and findings on the test's run."""

    def __init__(self, run: TestRun, name: str, policy: str, unit: str) -> None:
        self._run = run.for_check(name, policy, unit)

    def count(self, n: int = 1) -> None:
        self._run.count(n)

    def emit(self, message: str, **details: Any) -> None:
        self._run.emit(message, **details)


def check_reporter(item: pytest.Item, state: PluginState, name: str) -> Optional[CheckReporter]:
    """The reporter for check ``name`` in this test; None when it is off here (policy, ms_allow)."""
    ist = item.stash.get(ITEM_KEY, None)
    check = None if ist is None else next((c for c in ist.checks if c.name == name), None)
    if ist is None or check is None:
        return None
    return CheckReporter(ist.run, name, state.runner.policies[name], check.unit)


@contextlib.contextmanager
def unwatched(state: PluginState) -> Iterator[None]:
    """A fixture's own MindSpore calls (torch_parity's and ms_gradcheck's forwards and grads) are not the
    test's: the probed checks do not hear them (a forward then a grad by design is no double_forward), and
    the graphs they compile count in no ``ms_max_compiles`` budget."""
    if state.ms is None:
        yield
        return
    state.idle_variants.plugin_fixture_ran()
    with state.ms.probes_paused(), state.ms.compiles_paused():
        yield


@contextlib.contextmanager
def eager(state: PluginState) -> Iterator[None]:
    """Run a block in PYNATIVE_MODE (forward hooks run only eagerly), then put the mode back."""
    if state.ms is None:
        yield
        return
    with eagerly(state.ms.ms):
        yield


@contextlib.contextmanager
def probing(state: PluginState) -> Iterator[None]:
    """A probe that may fail (ms_gradcheck's float64 try): eagerly, so that a failure logs no GRAPH_MODE
    compile error, and synchronously, so that its error is raised by it and by no later call."""
    with eager(state):
        if state.ms is None:
            yield
            return
        with state.ms.guard.synchronous():
            yield


def warn(item: pytest.Item, message: str) -> None:
    """A fixture's warning, pointed at the test (not a finding: nothing failed, something was not checked).

    Raised inside the test's body, so a warning filter that makes it an error fails that test.
    """
    path, lineno, _ = item.location
    warnings.warn_explicit(MsGraphWarning(f"msgraph: {message}"), MsGraphWarning, filename=str(item.path),
                           lineno=(lineno or 0) + 1)
