"""After a grad call's gradients differ between the modes: the innermost sub-cell whose backward parts alone.

A custom ``bprop`` (the seed guide's way to define a cell's gradient) is Python that
PYNATIVE_MODE runs at each backward and GRAPH_MODE once, when it compiles: a numpy draw
or a Python value read there is frozen in the graph, and the forward, the same in both
modes, never shows it. Runs only after a mismatch, with the probes paused, its compiles
hidden from every budget, the numpy and Python random state put back, and every
parameter restored after each run (the test sees nothing of it).

1. The grad call runs again in PYNATIVE_MODE on copies of its inputs, from the random
   state it had, with every Cell call recorded (``localise.record_calls``: arguments,
   the calling call) and a backward hook on every sub-cell: its output gradient and
   its input gradients.
2. Descending by calls from the differentiated function: each call made from the current
   one, in call order, whose cell ran once (so its hook's gradients are that call's)
   and whose input gradients the eager run computed, has its backward run alone in
   GRAPH_MODE (``GradOperation`` from the recorded output gradient) on its recorded
   arguments. The first whose input gradients part from the eager run's is descended
   into; a call none of whose calls parts is the place. A sub-cell whose gradients
   cannot be compared (the network's first layer: its input has no gradient) is passed
   over, never blamed.
"""
from __future__ import annotations

import inspect
import os
import random
from collections import Counter
from typing import Any, Callable, ContextManager, Optional

import numpy as np

from ....core.graph_code import construct_location
from ....mindspore_side.context_guard import eagerly
from .hooked import hook_every_cell
from .localise import record_calls
from .rerun import arrays, fresh, put_back, same


def _hook(cells: list, grads: dict) -> Callable[[], None]:
    """A backward hook on every sub-cell: ``grads[id(cell)]`` = {"grad_in", "grad_out"} as numpy (None where the
    backward gave none). Returns what removes them and puts the cells' hook slots back as they were."""
    def numpy(values: Any) -> list:
        return [v.asnumpy().copy() if hasattr(v, "asnumpy") else None for v in values]

    def backward(cell: Any, grad_in: Any, grad_out: Any) -> None:
        grads[id(cell)] = {"grad_in": numpy(grad_in), "grad_out": numpy(grad_out)}

    return hook_every_cell(cells, backward=backward)


def _where(cell: Any) -> tuple[str, str]:
    """("bprop", file:line) for a cell with its own bprop, else ("construct", its construct's place)."""
    bprop = getattr(type(cell), "bprop", None)
    if bprop is not None:
        try:
            return "bprop", f"{os.path.relpath(inspect.getsourcefile(bprop) or '?')}:{inspect.getsourcelines(bprop)[1]}"
        except (OSError, TypeError):
            pass
    return "construct", construct_location(type(cell))


def _seen(calls: list, grads: dict, once: Counter, index: int) -> Optional[dict]:
    """The hooked gradients of call ``index`` when its backward can be replayed and compared, else None."""
    cell = calls[index][0]
    seen = grads.get(id(cell)) if once[id(cell)] == 1 else None
    return seen if seen is not None and _comparable(calls[index], seen) else None


def _candidates(calls: list, parent: int, seen: Callable[[int], Optional[dict]]) -> list:
    """The calls made from ``parent``, in call order, to replay: one that cannot be compared (the network whose input
    has no gradient) is looked through, its own calls standing in its place."""
    found: list[int] = []
    for index in (i for i, call in enumerate(calls) if call[4] == parent):
        found += [index] if seen(index) is not None else _candidates(calls, index, seen)
    return found


def _comparable(call: list, seen: dict) -> bool:
    """A call whose backward can be run alone and compared: tensors for positional arguments only, a gradient
    hooked for each of them and for each output, at least one of the inputs' computed by the eager run."""
    _, call_args, kwargs, output, _ = call
    return (bool(call_args) and not kwargs and all(hasattr(a, "asnumpy") for a in call_args)
            and len(seen["grad_in"]) == len(call_args) and len(seen["grad_out"]) == len(output)
            and any(g is not None for g in seen["grad_in"]))


def _graph_input_grads(ms: Any, sub: Any, call_args: tuple, seen: dict, output: list) -> list:
    """The input gradients of ``sub``'s backward run alone in GRAPH_MODE from the recorded output gradient."""
    sens = [ms.Tensor(g if g is not None else np.zeros_like(o)) for g, o in zip(seen["grad_out"], output)]
    grad = ms.ops.GradOperation(get_all=True, sens_param=True)(sub)
    return arrays(grad(*fresh(call_args), sens[0] if len(sens) == 1 else tuple(sens)))


def localise_backward(ms: Any, probes: Any, hidden: Callable[[], ContextManager[Any]], math: Any, entry: dict,
                      run: Any, args: tuple, rtol: Optional[float], atol: Optional[float]) -> Optional[dict[str, Any]]:
    """{"path", "cell", "kind", "where", "graph_runs"} of the innermost sub-cell call whose backward, run alone in
    GRAPH_MODE, parts from the eager run's (``path`` None when none does; ``kind`` "bprop" for a cell with its own);
    None when the experiment could not run or no sub-cell's gradients could be compared. ``run(args)`` is the grad
    call made eagerly, ``run.cells`` what it differentiates. Not run for a grad call (``entry``) whose eager runs
    disagree with each other, or whose graph holds MindSpore random ops: a replay would part by design."""
    if entry.get("eager_repeatable") is False or entry.get("random_ops"):
        return None
    cells = list(getattr(run, "cells", ()))
    params = list({id(p): p for cell in cells for p in cell.get_parameters()}.values())
    saved = [p.asnumpy().copy() for p in params]
    states = (np.random.get_state(), random.getstate())
    names = {id(sub): name for root in cells for name, sub in root.cells_and_names()}
    grads: dict = {}
    runs, where = 0, -1
    try:
        with probes.paused(), hidden(), eagerly(ms):
            remove = _hook(cells, grads)
            try:
                calls = record_calls(ms, lambda *copies: run(copies), args, states)
            finally:
                remove()
                put_back(ms, params, saved)
            once = Counter(id(call[0]) for call in calls)
            ms.set_context(mode=ms.GRAPH_MODE)
            while True:
                for index in _candidates(calls, where, lambda i: _seen(calls, grads, once, i)):
                    seen = _seen(calls, grads, once, index) or {}
                    runs += 1
                    sub, call_args, _, output, _ = calls[index]
                    try:
                        eager, graph = seen["grad_in"], _graph_input_grads(ms, sub, call_args, seen, output)
                    finally:
                        put_back(ms, params, saved)
                    kept = [i for i, grad in enumerate(eager) if grad is not None]
                    if len(graph) != len(eager) or not same(math, [graph[i] for i in kept], [eager[i] for i in kept],
                                                            rtol, atol):
                        where = index
                        break
                else:
                    break
    except Exception:  # a sub-cell whose backward cannot run alone: nothing to say rather than a wrong place
        return None
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
    if runs == 0:
        return None
    if where < 0:
        return {"path": None, "graph_runs": runs}
    found = calls[where][0]
    kind, place = _where(found)
    return {"path": names.get(id(found), type(found).__name__), "cell": type(found).__name__, "kind": kind,
            "where": place, "graph_runs": runs}
