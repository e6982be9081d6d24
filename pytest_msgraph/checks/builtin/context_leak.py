"""Check ``context_leak``: a test that leaves MindSpore's global context changed.

The plugin restores the context after every test anyway; the finding tells the
author that the test depends on (or imposes) global state, which is how a
GRAPH_MODE set in one test silently turns the next test into a graph test.
"""
from __future__ import annotations

from ...core.modes import context_value
from ..findings import TestRun
from ..frame import Check


class ContextLeakCheck(Check):
    name = "context_leak"
    description = "a test left MindSpore's global context (mode, jit level, ...) changed"
    default_policy = "warn"
    unit = "tests"

    def test_torn_down(self, run: TestRun) -> None:
        run.count()
        changes = getattr(run, "context_changes", None) or {}
        if not changes:
            return
        shown = ", ".join(
            f"{key}={context_value(key, after)} (was {context_value(key, before)})"
            for key, (before, after) in sorted(changes.items())
        )
        advice = (
            "use @pytest.mark.both_modes, or parametrize the test over the mode (msgraph runs a "
            "parametrize('mode', [ms.GRAPH_MODE, ms.PYNATIVE_MODE]) pair in each variant's mode)"
            if "mode" in changes
            else "set it in a fixture that restores it, or in conftest for the whole session"
        )
        run.emit(
            f"test left the MindSpore context changed: {shown}; msgraph puts it back for the next test "
            "(unless ms_restore_context = false).",
            fix=f"To fix: {advice}.",
            keys=sorted(changes),
        )
