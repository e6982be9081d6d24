"""The values mode_parity records: encoded within a byte budget, some of them later.

The eager variant runs in PYNATIVE_MODE, whose ops run asynchronously: a read in the
middle of a loop waits for the queue to drain (``probes/deferred_reads``). A call's
outputs and a grad call's gradients are new tensors: on the eager side they are kept as
they are and read when a read happens anyway (before any in-place write from Python,
too). Which of them keep their bytes is decided when they come (``reserve``), so the
budget goes to the same values as on the graph side, which reads at once (it compares
each call with its twin's while the call's inputs and weights are as it left them). A
step's parameters change at the next step, so they are read at once: a copy made by an
op would cost a CPU step more than the read does (measured, docs/performance.md).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np


def nbytes(values: Any) -> int:
    """The device memory ``values`` keep alive (their shapes are known without a read)."""
    return sum(int(getattr(value, "nbytes", 0) or 0) for value in values)


def _encoded_size(tensor: Any) -> int:
    size = int(getattr(tensor, "nbytes", 0) or 0)
    return 2 * size if str(tensor.dtype) == "BFloat16" else size  # read as float32


def reserve(budget: list, tensors: list) -> list:
    """Which of ``tensors`` keep their bytes (the rest a summary), decided now, in the order the values came, as
    ``arithmetic.encode`` would decide on reading them now; ``budget`` is spent accordingly."""
    plan = []
    for tensor in tensors:
        size = _encoded_size(tensor)
        plan.append(size <= budget[0])
        if plan[-1]:
            budget[0] -= size
    return plan


def encoded(ms: Any, math: Any, budget: list, named: Any, finite: Optional[list] = None,
            plan: Optional[list] = None) -> list:
    """The leaves of ``named`` [(path, value)], encoded within ``budget``, or as ``plan`` (from ``reserve``) says;
    ``finite`` (when given) gets, per tensor, whether all its values are finite."""
    leaves = []
    tensors = 0
    for path, value in named:
        if hasattr(value, "asnumpy"):
            dtype = str(value.dtype)
            array = value.astype(ms.float32).asnumpy() if dtype == "BFloat16" else value.asnumpy()
            if finite is not None:
                finite.append(array.dtype.kind not in "fc" or bool(np.isfinite(array).all()))
            allowed = budget if plan is None else [array.nbytes if plan[tensors] else -1]
            tensors += 1
            leaves.append({"path": path, **math.encode(array, dtype, allowed)})
        else:
            leaves.append({"path": path, "dtype": type(value).__name__, "shape": [], "value": repr(value)})
    return leaves


class ParameterNames:
    """Parameter names, worked out once per list of parameters in a test: a name read waits for the queue."""

    def __init__(self) -> None:
        self._known: dict = {}

    def __call__(self, params: list) -> list:
        key = tuple(map(id, params))  # the test holds the parameters, so their ids are theirs until it ends
        names = self._known.get(key)
        if names is None:
            names = self._known[key] = [p.name for p in params]
        return names
