"""After a mismatch, is the eager side repeatable? Run it twice in PYNATIVE_MODE and compare.

Used by mode_parity only after a Cell call's outputs, or a grad call's gradients, differ
between the modes, on the GRAPH_MODE variant's own cell (or differentiated function) and
inputs, with the probes paused (no check hears it)
and every parameter of the cell put back after each run (BatchNorm statistics too), so
the test sees nothing of it. Both runs start from the same numpy and Python random
state (put back afterwards): ``np.random`` in construct draws anew on every eager call
by design, and that is graph mode's trap, not the eager side's. Two eager runs that
still differ on the same inputs and weights (an op reading memory it does not own) make
the eager side the one to doubt.
"""
from __future__ import annotations

import random
from typing import Any, Callable, Optional

import numpy as np

from ....mindspore_side.context_guard import eagerly


def arrays(value: Any) -> list:
    if hasattr(value, "asnumpy"):
        return [value.asnumpy().copy()]
    if isinstance(value, (tuple, list)):
        return [a for item in value for a in arrays(item)]
    if isinstance(value, dict):
        return [a for key in sorted(value, key=str) for a in arrays(value[key])]
    return []


def fresh(args: tuple) -> tuple:
    """Copies of the tensors among ``args`` (and in their lists and tuples), for one eager re-run.

    A construct that writes into its input (``ops.cast(label, ms.int32)[0] = 100``) would
    otherwise write into the test's own tensors during a re-run, which the test and
    input_mutation would see as the GRAPH_MODE call's doing, and into the next re-run's.
    Parameters are left as they are: the re-runs put them back themselves.
    """
    return tuple(_fresh(value) for value in args)


def _fresh(value: Any) -> Any:
    if hasattr(value, "asnumpy") and hasattr(value, "copy") and type(value).__name__ != "Parameter":
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(_fresh(item) for item in value)
    return value


def repeatable(ms: Any, probes: Any, math: Any, run: Callable[[], Any], params: list, rtol: Optional[float],
               atol: Optional[float]) -> Optional[bool]:
    """True when two eager runs of ``run()`` agree, False when they differ, None when they could not run.

    ``params`` are the parameters the run may change (BatchNorm statistics): put back after each.
    """
    saved = [p.asnumpy().copy() for p in params]
    states = (np.random.get_state(), random.getstate())
    runs = []
    try:
        with probes.paused(), eagerly(ms):
            for _ in range(2):
                np.random.set_state(states[0])
                random.setstate(states[1])
                runs.append(arrays(run()))
                for param, value in zip(params, saved):
                    param.set_data(ms.Tensor(value))
    except Exception:  # the eager run itself fails: nothing to say about it
        return None
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
    return same(math, runs[0], runs[1], rtol, atol)


def eager_grad(ms: Any, fn: Any, grad_position: Any, weights: Any, args: tuple) -> Callable[[], Any]:
    """A fresh PYNATIVE_MODE grad of what a GRAPH_MODE grad function differentiated (its own is left alone)."""
    return lambda: ms.grad(fn, grad_position=grad_position, weights=weights)(*fresh(args))


def same(math: Any, first: list, second: list, rtol: Optional[float], atol: Optional[float]) -> bool:
    if len(first) != len(second):
        return False
    budget = [1 << 62]
    for a, b in zip(first, second):
        dtype = str(a.dtype).capitalize()  # numpy float32 -> MindSpore Float32: the tolerance table's names
        leaf_a, leaf_b = math.encode(a, dtype, budget), math.encode(b, dtype, budget)
        if a.shape != b.shape or math.compare_leaves(leaf_a, leaf_b, rtol, atol) is not None:
            return False
    return True
