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

from typing import Any, Optional

import numpy as np


def encoded(ms: Any, math: Any, budget: list, named: Any, finite: Optional[list] = None) -> list:
    """The leaves of ``named`` [(path, value)], encoded within ``budget``; ``finite`` (when given) gets, per
    tensor, whether all its values are finite."""
    leaves = []
    for path, value in named:
        if hasattr(value, "asnumpy"):
            dtype = str(value.dtype)
            array = value.astype(ms.float32).asnumpy() if dtype == "BFloat16" else value.asnumpy()
            if finite is not None:
                finite.append(array.dtype.kind not in "fc" or bool(np.isfinite(array).all()))
            leaves.append({"path": path, **math.encode(array, dtype, budget)})
        else:
            leaves.append({"path": path, "dtype": type(value).__name__, "shape": [], "value": repr(value)})
    return leaves
