"""After a grad call's gradients differ between the modes: the innermost sub-cell whose backward parts alone.

A custom ``bprop`` (the seed guide's way to define a cell's gradient) is Python that
PYNATIVE_MODE runs at each backward and GRAPH_MODE once, when it compiles: a numpy draw
or a Python value read there is frozen in the graph, and the forward, the same in both
modes, never shows it. Runs only after a mismatch, with the probes paused, its compiles
hidden from every budget, the numpy and Python random state put back, and every
parameter restored after each run (the test sees nothing of it).

1. The grad call runs again in PYNATIVE_MODE on copies of its inputs, from the random
   state it had, with every Cell call recorded (``localise.record_calls``: arguments,
   the calling call). Each sub-cell call's tensor arguments and outputs pass through
   ``ops.HookBackward``, which hands over their gradients: the call's input and output
   gradients. Not a cell's ``register_backward_hook``: on MindSpore 2.7.2, registering
   one (even removed at once) makes the next GRAPH_MODE call of a compiled grad compile
   again, reading the Python attributes as they now are (measured), and the test would
   train otherwise.
2. Descending by calls from the differentiated function: each call made from the current
   one, in call order, whose input gradients the eager run computed, has its backward
   run alone in GRAPH_MODE (``GradOperation`` from the recorded output gradient) on its
   recorded arguments. The first whose input gradients part from the eager run's is
   descended into; a call none of whose calls parts is the place. A call whose gradients
   cannot be compared (the network's first layer: its input has no gradient) is looked
   through, never blamed.
"""
from __future__ import annotations

import inspect
import os
import random
from typing import Any, Callable, ContextManager, Optional

import numpy as np

from ....core.graph_code import construct_location
from ....mindspore_side.context_guard import eagerly
from .localise import record_calls
from .rerun import arrays, fresh, put_back, same


def _tap(ms: Any, grads: dict) -> Callable[[int, str, Any], Any]:
    """What marks a call's float tensors, in or out, so that the backward hands ``grads[(index, side, k)]`` their
    gradients (numpy). A structure other than a tensor or a flat tuple of them is left unmarked."""
    def caught(key: tuple) -> Callable[[Any], None]:
        def hook(grad: Any) -> None:
            grad = grad[0] if isinstance(grad, tuple) else grad
            if hasattr(grad, "asnumpy") and str(grad.dtype) == "BFloat16":  # numpy has no bfloat16
                grad = grad.astype(ms.float32)
            grads[key] = grad.asnumpy().copy() if hasattr(grad, "asnumpy") else None
        return hook

    def mark(index: int, side: str, values: Any) -> Any:
        single = not isinstance(values, tuple)
        grads[(index, side, "tuple")] = not single  # a 1-tuple output takes a 1-tuple output gradient
        marked = tuple(ms.ops.HookBackward(caught((index, side, k)))(value)
                       if isinstance(value, ms.Tensor) and str(value.dtype).startswith(("Float", "BFloat")) else value
                       for k, value in enumerate((values,) if single else values))
        return marked[0] if single else marked
    return mark


def _seen(calls: list, grads: dict, index: int) -> Optional[dict]:
    """Call ``index``'s input and output gradients when its backward can be replayed and compared, else None: tensors
    for positional arguments only, a gradient for each output, and for at least one input."""
    _, call_args, kwargs, output, _ = calls[index]
    grad_in = [grads.get((index, "in", k)) for k in range(len(call_args))]
    grad_out = [grads.get((index, "out", k)) for k in range(len(output))]
    comparable = (bool(call_args) and not kwargs and all(hasattr(a, "asnumpy") for a in call_args) and output
                  and all(g is not None for g in grad_out) and any(g is not None for g in grad_in))
    tupled = bool(grads.get((index, "out", "tuple")))
    return {"grad_in": grad_in, "grad_out": grad_out, "tuple": tupled} if comparable else None


def _candidates(calls: list, parent: int, seen: Callable[[int], Optional[dict]], skipped: list) -> list:
    """The calls made from ``parent``, in call order, to replay: one that cannot be compared (the network whose input
    has no gradient) is looked through, its own calls standing in its place; one with none is ``skipped``."""
    found: list[int] = []
    for index in (i for i, call in enumerate(calls) if call[4] == parent):
        inner = [] if seen(index) is not None else _candidates(calls, index, seen, skipped)
        if seen(index) is None and not inner and not any(call[4] == index for call in calls):
            skipped.append(index)
        found += [index] if seen(index) is not None else inner
    return found


def _where(cell: Any) -> tuple[str, str]:
    """("bprop", file:line) for a cell with its own bprop, else ("construct", its construct's place)."""
    bprop = getattr(type(cell), "bprop", None)
    if bprop is not None:
        try:
            return "bprop", f"{os.path.relpath(inspect.getsourcefile(bprop) or '?')}:{inspect.getsourcelines(bprop)[1]}"
        except (OSError, TypeError, ValueError):  # no source, or another drive than the working folder
            pass
    return "construct", construct_location(type(cell))


def _graph_input_grads(ms: Any, sub: Any, call_args: tuple, seen: dict) -> list:
    """The input gradients of ``sub``'s backward run alone in GRAPH_MODE from the recorded output gradient."""
    sens = [ms.Tensor(g) for g in seen["grad_out"]]
    grad = ms.ops.GradOperation(get_all=True, sens_param=True)(sub)
    return arrays(grad(*fresh(call_args), tuple(sens) if seen["tuple"] else sens[0]))


def localise_backward(ms: Any, probes: Any, hidden: Callable[[], ContextManager[Any]], math: Any, grads_seen: dict,
                      run: Any, args: tuple, rtol: Optional[float], atol: Optional[float]) -> Optional[dict[str, Any]]:
    """{"path", "cell", "kind", "where", "graph_runs", "skipped"} of the innermost sub-cell call whose backward, run
    alone in GRAPH_MODE, parts from the eager run's (``path`` None when none does; ``kind`` "bprop" for a cell with
    its own; ``skipped`` the calls that could not be compared); None when the experiment could not run or compared
    nothing. ``run(args)`` is the grad call made eagerly, ``run.cells`` what it differentiates; ``grads_seen`` the
    test's grad entries, the last this call's. Run once per test, for the first grad call that parts (later ones
    inherit it), and not for one whose eager runs disagree with each other or whose graph holds MindSpore random
    ops: a replay would part by design."""
    entry = grads_seen[max(grads_seen)]
    if entry.get("eager_repeatable") is False or entry.get("random_ops") or any(
            "diverges_at" in earlier for earlier in grads_seen.values()):
        return None
    cells = list(getattr(run, "cells", ()))
    params = list({id(p): p for cell in cells for p in cell.get_parameters()}.values())
    saved = [p.asnumpy().copy() for p in params]
    states = (np.random.get_state(), random.getstate())
    names = {id(sub): name for root in cells for name, sub in root.cells_and_names()}
    grads: dict = {}
    runs, where = 0, -1
    skipped: list[int] = []
    try:
        with probes.paused(), hidden(), eagerly(ms):
            try:
                calls = record_calls(ms, lambda *copies: run(copies), args, states, _tap(ms, grads))
            finally:
                put_back(ms, params, saved)
            ms.set_context(mode=ms.GRAPH_MODE)
            while True:
                for index in _candidates(calls, where, lambda i: _seen(calls, grads, i), skipped):
                    seen = _seen(calls, grads, index) or {}
                    try:
                        eager, graph = seen["grad_in"], _graph_input_grads(ms, calls[index][0], calls[index][1], seen)
                    except Exception:  # this one cannot run alone in GRAPH_MODE: not compared, never blamed
                        skipped.append(index)
                        continue
                    finally:
                        put_back(ms, params, saved)
                    kept = [i for i, grad in enumerate(eager) if grad is not None]
                    if len(graph) != len(eager):  # the structures do not match: cannot tell, never blamed
                        skipped.append(index)
                        continue
                    runs += 1
                    if not same(math, [graph[i] for i in kept], [eager[i] for i in kept], rtol, atol):
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
        return {"path": None, "graph_runs": runs, "skipped": len(set(skipped))}
    found = calls[where][0]
    kind, place = _where(found)
    return {"path": names.get(id(found), type(found).__name__), "cell": type(found).__name__, "kind": kind,
            "where": place, "graph_runs": runs, "skipped": len(set(skipped))}
