"""Where two eager recordings of one call part: an eager kernel that is not deterministic (``backward``'s gate).

Two PYNATIVE_MODE runs of a call from the same weights, inputs and random state should
record the same sub-cell calls. When they do not, comparing either with GRAPH_MODE says
nothing of the graph; what can be said is where the eager side parts from itself: in
the forward, the innermost sub-cell call, first in call order, whose inputs agree between
the two runs and output does not; else in the backward, the innermost, first in backward
order, whose output gradients agree (and are finite) and input gradients do not. MindSpore 2.10's CPU
float16 LSTM is one such kernel (measured: ten steps of one recipe, its eager backward
finite but wrong, non-finite, or right from one run to the next).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .rerun import arrays, same

EAGER_RUNS = 4  # more runs when the first ones agree: a kernel that parts only now and then (measured: 3 left 1 in 20)


def first_unrepeatable(math: Any, first: tuple[list, dict], second: tuple[list, dict], rtol: Optional[float],
                       atol: Optional[float]) -> Optional[tuple[int, str]]:
    """None when the two recordings (calls, gradients by (call index, "in" or "out", position)) agree; else (index
    of the call where they part, or -1 when no call shows it, and "forward" or "backward"). What the call returned
    (weight gradients) is compared apart (``returned_part``): a weight gradient's owner is no evidence of where, a
    kernel that writes memory it does not own (MindSpore 2.10's float16 LSTM) changes another cell's."""
    (calls, grads), (calls_again, grads_again) = first, second
    if len(calls) != len(calls_again):
        return -1, "forward"
    alike = lambda a, b: same(math, a, b, rtol, atol)  # noqa: E731
    forward = [i for i in range(len(calls)) if alike(arrays(list(calls[i][1])), arrays(list(calls_again[i][1])))
               and not alike(calls[i][3], calls_again[i][3])]
    if forward or any(not alike(a[3], b[3]) for a, b in zip(calls, calls_again)):
        return min(innermost(calls, forward), default=-1), "forward"
    if _same_gradients(grads, grads_again, alike):
        return None
    backward = []
    for index in range(len(calls)):
        outs, ins = _caught(grads, grads_again, index, "out"), _caught(grads, grads_again, index, "in")
        if not outs or not ins or not all(np.isfinite(a).all() for a, _ in outs if a.dtype.kind in "fc"):
            continue  # a backward from a non-finite gradient: what it gives says nothing of its own kernel
        if alike(*_sides(outs)) and not alike(*_sides(ins)):
            backward.append(index)
    return max(innermost(calls, backward), default=-1), "backward"  # the last made is the first its backward runs


def returned_part(math: Any, first: dict, second: dict, rtol: Optional[float], atol: Optional[float]) -> bool:
    """Whether what two recordings' grad calls returned (their gradients, under "returned") part."""
    return not same(math, first.get("returned", []), second.get("returned", []), rtol, atol)


def _caught(grads: dict, again: dict, index: int, side: str) -> list[tuple[Any, Any]]:
    """The gradients both runs caught for call ``index``'s inputs or output tensors, paired (any argument: a call
    made with a non-tensor argument, an LSTM's inner call, is compared too, though it cannot be replayed alone)."""
    keys = [key for key in grads if key[:2] == (index, side) and isinstance(key[2], int)]
    return [(grads[key], again[key]) for key in sorted(keys, key=lambda key: key[2])
            if grads[key] is not None and again.get(key) is not None]


def _sides(pairs: list[tuple[Any, Any]]) -> tuple[list, list]:
    return [a for a, _ in pairs], [b for _, b in pairs]


def _same_gradients(grads: dict, again: dict, alike: Callable[[list, list], bool]) -> bool:
    keys = sorted((key for key in grads if isinstance(key[2], int)), key=str)
    if keys != sorted((key for key in again if isinstance(key[2], int)), key=str):
        return False
    return all((grads[key] is None) == (again[key] is None) and
               (grads[key] is None or alike([grads[key]], [again[key]])) for key in keys)


def innermost(calls: list, found: list[int]) -> list[int]:
    """Those of ``found`` none of whose own calls (at any depth) is in ``found``."""
    return [i for i in found if not any(other != i and _inside(calls, other, i) for other in found)]


def _inside(calls: list, index: int, ancestor: int) -> bool:
    while index >= 0:
        index = calls[index][4]
        if index == ancestor:
            return True
    return False
