"""The values mode_parity records: encoded within a byte budget, some of them later.

The eager variant runs in PYNATIVE_MODE, whose ops run asynchronously: a read in the
middle of a loop waits for the queue to drain (``probes/deferred_reads``). A call's
outputs and a grad call's gradients are new tensors: on the eager side they are kept as
they are and read when a read happens anyway (before any in-place write from Python,
too), in the order they came. A step's parameters change at the next step, so they are
read at once, after what was kept (the read drains the queue anyway): the byte budget
goes to the same values, in the same order, as on the graph side, which reads at once
(it compares each call with its twin's while the call's inputs and weights are as it
left them). A copy made by an op would cost a CPU step more than the read does
(measured, docs/performance.md).
"""
from __future__ import annotations

import fnmatch
from typing import Any, Callable, Optional

import numpy as np

from ....core.fingerprints import fingerprint


def encoded(ms: Any, math: Any, budget: list, named: Any, finite: Optional[list] = None, prints: bool = False, *,
            read: Callable[[Any], Any]) -> list:
    """The leaves of ``named`` [(path, value)], encoded within ``budget``; ``finite`` (when given) gets, per
    tensor, whether all its values are finite; ``prints``: each tensor's fingerprint too (for the report);
    ``read(tensor)``: its values (``DeferredReads.array_of`` takes them from the test's own read)."""
    leaves = []
    for path, value in named:
        if hasattr(value, "asnumpy"):
            dtype = str(value.dtype)
            array = value.astype(ms.float32).asnumpy() if dtype == "BFloat16" else read(value)
            if finite is not None:
                finite.append(array.dtype.kind not in "fc" or bool(np.isfinite(array).all()))
            leaves.append({"path": path, **math.encode(array, dtype, budget)})
            if prints:
                leaves[-1]["fingerprint"] = fingerprint(array, dtype)
        else:
            leaves.append({"path": path, "dtype": type(value).__name__, "shape": [], "value": repr(value)})
    return leaves


MAX_VALUES = 32  # fingerprints per test in the report (about 300 bytes each): the first calls, then the parameters


def reported_values(side: dict[str, Any], skipped: Any) -> dict[str, Any]:
    """What a variant computed, by name, for the report: each top-level Cell call's outputs (``call 2 Net
    output``, numbered as mode_parity numbers them) and the parameters after its last training step (``param
    head.weight``), up to ``MAX_VALUES``; ``skipped(key)`` leaves one out."""
    found: dict[str, Any] = {}
    for index, call in sorted(side["calls"].items()):
        for leaf in call.get("leaves", ()):
            printed = leaf.get("fingerprint")
            if printed is not None and call.get("random"):  # MindSpore random ops: the matrix leaves the call out
                printed = {**printed, "random": True}
            found[f"call {index + 1} {call['cell']} {leaf['path']}"] = printed
    if side["steps"]:
        for leaf in side["steps"][max(side["steps"])].get("leaves", ()):
            found[f"param {leaf['path']}"] = leaf.get("fingerprint")
    kept = {key: value for key, value in found.items() if value is not None and not skipped(key)}
    return dict(list(kept.items())[:MAX_VALUES])


def records_values(item: Any, patterns: Optional[tuple[str, ...]]) -> bool:
    """Whether this test's values go into the report: ``patterns`` (the session's ``values_skip``, resolved at
    configure in pytest_side/values_options.py) says values are recorded, and the test is not ``ms_no_values``."""
    return patterns is not None and item.get_closest_marker("ms_no_values") is None


def skipped(patterns: tuple[str, ...], key: str) -> bool:
    """A value ``ms_values_skip`` leaves out of the report (glob patterns over its name)."""
    return any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)
