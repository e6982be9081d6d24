"""Check ``recompile``: a graph compiled again and again in one test, with why and how to fix it.

The compiles come from the compile probe (every Cell graph in GRAPH_MODE, every
``@ms.jit`` function in both modes, every GRAPH_MODE grad function). A finding is
one group compiled ``--ms-recompile-threshold`` (default 3) or more times in one test:
cells of one class built the same way, one jit function, or the grad functions of one
network. Two compiles (two shapes on purpose) are not a finding; neither is a test
parametrized over shapes, since compiles are counted per test.
"""
from __future__ import annotations

from ...core.signatures import show
from ..findings import TestRun
from ..frame import Check
from .compile_arithmetic import cause_text, fix_text, recompiled_groups

DEFAULT_THRESHOLD = 3


class RecompileCheck(Check):
    name = "recompile"
    description = "a graph compiled again and again in one test (a Python scalar, a new shape, a new cell or grad)"
    default_policy = "warn"
    unit = "compiles"

    def test_finished(self, run: TestRun) -> None:
        events = getattr(run, "compile_events", None) or []
        run.count(len(events))
        threshold = run.item.config.getoption("ms_recompile_threshold") or DEFAULT_THRESHOLD
        for group in recompiled_groups(events, threshold):
            # Shapes alone would show three dtype-changed signatures as the same three.
            shown = "; ".join(show(sig, dtypes=group["cause"] == "dtype") for sig in group["signatures"])
            run.emit(
                f"{group['cell']} compiled {group['compiles']} times in this test "
                f"({group['seconds']:.2f} s compiling), "
                f"last at {group['location']}; cause {group['cause']}: {cause_text(group['cause'], group['built'])} "
                f"First argument signatures: {shown}.",
                fix=fix_text(group["cause"], group["built"]), cell=group["cell"], compiles=group["compiles"],
                cause=group["cause"],
                seconds=group["seconds"],
                signatures=group["signatures"], location=group["location"],
            )
