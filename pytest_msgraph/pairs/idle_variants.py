"""``--ms-both-modes=all`` on a test that never calls MindSpore: its GRAPH_MODE variant is skipped as idle.

The mode changes what a Cell call, an ``ms.jit`` function or a grad does, and what a Cell's
or a Model's methods do (``set_inputs`` checks the declared inputs at once in GRAPH_MODE only);
ops called outside them run eagerly in both modes, and plain Python not at all. So when a pair's
PYNATIVE_MODE variant (which runs first, on the same worker) made none of those calls,
its GRAPH_MODE variant would run the very same code again: mindnlp's torch-compatibility
tests took 35 s instead of 16 s for it. That variant is skipped, with that reason.

A skipped GRAPH_MODE failure is a false green, so idleness is proved, never assumed:

* what counts: a Cell call, an ``ms.jit`` call or compile, a grad, and any call of a public
  method of a Cell or a ``Model`` from the user's code (``probes/method_calls.py``); what does
  not: ops called outside any Cell, numpy, a Cell built and never used, an attribute read;
* the whole eager variant is watched, setup (every fixture it requests), call and
  teardown, and the plugin's own fixtures (``ms_gradcheck``, ``torch_parity``, whose
  calls the checks do not hear) count as calls;
* a fixture of a wider scope that an earlier test set up is idle only if its own setup
  made no call (every fixture setup is watched while the option is on);
* an eager variant that failed, skipped or xfailed in any phase proves nothing: the GRAPH_MODE one runs;
* an item whose fixtures pytest does not show (its private ``_fixtureinfo``) proves nothing either.

Only pairs the option made: a test marked ``both_modes``, or one that parametrizes its
own mode, is the user's explicit choice and always runs in both modes.
"""
from __future__ import annotations

from typing import Any, Optional

import pytest

from ..core.modes import Mode
from ..mindspore_side.probes import ProbeUnavailable
from ..mindspore_side.probes.method_calls import MethodCalls
from .identity import OPTION, known_variant, variant_of
from .work import CallCounter

REASON = ("msgraph: its PYNATIVE_MODE twin made no Cell, ms.jit or grad call and called no Cell or Model method, so "
          "GRAPH_MODE would run the same code "
          "(--ms-both-modes=all); mark it @pytest.mark.both_modes to run it anyway")


class _Watch:
    """One item's window, from the start of its setup to its teardown report."""

    def __init__(self, start: int, eager_variant: bool) -> None:
        self.start = start
        self.eager_variant = eager_variant
        self.all_passed = True


class IdleVariants:
    def __init__(self, both_modes: str) -> None:
        self.enabled = both_modes == "all"
        self._idle: set = set()  # pairs whose PYNATIVE_MODE variant made no MindSpore call
        self._session: Any = None  # the MindSpore session whose probes and compile log are heard
        self._log: Any = None  # the graphs compiled or reused while any window is open
        self._graphs_before = 0  # graphs logged in earlier windows
        self._calls = CallCounter()
        self._methods: Any = None  # MethodCalls, made with the first window
        self._fixture_calls = 0  # calls made by the plugin's own fixtures (hidden from the probes)
        self._watches: dict[str, _Watch] = {}
        self._busy_fixtures: set = set()  # fixture definitions whose setup made a call

    def _mode(self, item: pytest.Item) -> Optional[Mode]:
        """The mode of a variant the option made (the only pairs whose GRAPH_MODE variant may be skipped)."""
        variant = variant_of(item)
        if not self.enabled or variant is None or variant.origin != OPTION:
            return None
        return variant.mode

    def skip_reason(self, item: pytest.Item) -> Optional[str]:
        if self._mode(item) is Mode.GRAPH_MODE and known_variant(item).pair in self._idle:
            return REASON
        return None

    def _ticks(self) -> int:
        """Every call so far: Cell, grad, compiled or cached graph, a plugin fixture's work."""
        graphs = self._graphs_before + (len(self._log.events) if self._log is not None else 0)
        methods = self._methods.count if self._methods is not None else 0
        return self._calls.count + self._fixture_calls + graphs + methods

    def start(self, item: pytest.Item, session: Any) -> None:
        """At the start of any item's setup: watch it (fixture setups included) while the option is on."""
        if not self.enabled:
            return
        try:
            probes = session.probes()
        except ProbeUnavailable:
            return  # no call is heard, so nothing is proved idle: every variant runs
        if session.compiles is None:
            return  # an ms.jit call would go unheard: likewise
        if not self._watches:
            self._session = session
            probes.listen(self._calls)
            self._log = session.compiles.start()
            if self._methods is None:
                self._methods = MethodCalls(session.ms)
            self._methods.start()
        self._watches[item.nodeid] = _Watch(self._ticks(), self._mode(item) is Mode.PYNATIVE_MODE)

    def plugin_fixture_ran(self) -> None:
        """ms_gradcheck or torch_parity ran MindSpore with the probes paused: that is a call."""
        self._fixture_calls += 1

    def fixture_setup(self, fixturedef: Any):
        """Generator body of the pytest_fixture_setup wrapper: note fixtures whose setup made a call."""
        if not self._watches:
            return (yield)
        before = self._ticks()
        try:
            return (yield)
        finally:
            if self._ticks() != before:
                self._busy_fixtures.add(id(fixturedef))

    def reported(self, item: pytest.Item, report: Any) -> None:
        """Each phase's report; the teardown's closes the window and decides."""
        watch = self._watches.get(item.nodeid)
        if watch is None:
            return
        if report.outcome != "passed" or hasattr(report, "wasxfail"):
            watch.all_passed = False
        if report.when != "teardown":
            return
        idle = watch.eager_variant and watch.all_passed and self._ticks() == watch.start \
            and not self._requests_busy_fixture(item)
        del self._watches[item.nodeid]
        if not self._watches:
            self._close()
        if idle:
            self._idle.add(known_variant(item).pair)

    def _close(self) -> None:
        """No window open: stop listening (the checks' per-test state resets) and logging graphs."""
        self._session.probes().stop(self._calls)
        self._graphs_before += len(self._log.events)
        self._session.compiles.stop(self._log)
        self._log = None
        self._methods.stop()

    def _requests_busy_fixture(self, item: pytest.Item) -> bool:
        info = getattr(item, "_fixtureinfo", None)  # pytest's private record of the item's fixtures
        definitions = getattr(info, "name2fixturedefs", None)
        if definitions is None:
            return True  # cannot tell which fixtures it used: not proved idle
        return any(id(fixturedef) in self._busy_fixtures for defs in definitions.values() for fixturedef in defs)
