"""After a grad call's gradients differ between the modes: the innermost sub-cell whose backward parts alone.

A custom ``bprop`` (the seed guide's way to define a cell's gradient) is Python that
PYNATIVE_MODE runs at each backward and GRAPH_MODE once, when it compiles: a numpy draw
or a Python value read there is frozen in the graph, and the forward, the same in both
modes, never shows it. Runs only after a mismatch, with the probes paused, its compiles
hidden from every budget, the numpy and Python random state put back, and every
parameter restored after each run (the test sees nothing of it).

1. The grad call runs again, two to four times, in PYNATIVE_MODE on copies of its inputs, from the random
   state it had, with every Cell call recorded (``localise.record_calls``: arguments,
   the calling call). Each sub-cell call's tensor arguments and outputs pass through
   ``ops.HookBackward``, which hands over their gradients: the call's input and output
   gradients. Not a cell's ``register_backward_hook``: on MindSpore 2.7.2, registering
   one (even removed at once) makes the next GRAPH_MODE call of a compiled grad compile
   again, reading the Python attributes as they now are (measured), and the test would
   train otherwise. When two eager runs part (their sub-cell calls' outputs, the gradients
   caught, or the gradients the call returns), the eager side is not repeatable and
   comparing it with the graph says nothing: the place is where they first part
   (``unrepeatable``: forward or backward; an eager kernel that is not deterministic,
   MindSpore 2.10's CPU float16 LSTM backward), and nothing runs in GRAPH_MODE.
2. Descending by calls from the differentiated function: each call made from the current
   one, in call order, whose input gradients the eager run computed, has its backward
   run alone in GRAPH_MODE (``GradOperation`` from the recorded output gradient) on its
   recorded arguments (not one whose recorded output gradient is non-finite: the CRNN-like
   recipe's ReLU was blamed from the LSTM's NaN, though ReLU's backward alone treats NaN
   alike in both modes). The first whose input gradients part from the eager run's is
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

from ....mindspore_side.context_guard import eagerly
from .cell_places import construct_of, mindspores, user_place
from .localise import record_calls
from .rerun import arrays, fresh, put_back, same
from .unrepeatable import EAGER_RUNS, first_unrepeatable, returned_part


def _template(value: Any) -> Any:
    """A call's output as a structure of tuples with None for each tensor; False when a replay cannot give it a
    gradient (a dict, a list, a Python value among its leaves)."""
    if isinstance(value, tuple):
        inner = tuple(_template(item) for item in value)
        return False if any(item is False for item in inner) else inner
    return None if hasattr(value, "asnumpy") else False


def gradient_tap(ms: Any, grads: dict) -> Callable[..., Any]:
    """What marks a call's float tensors, in or out, so that the backward hands ``grads[(index, side, k)]`` their
    gradients (numpy): ``k`` counts the positional arguments in, and the output's tensors out, depth first (an
    ``nn.LSTM``'s ``(output, (h, c))``). Anything else is left unmarked."""
    def caught(key: tuple) -> Callable[[Any], None]:
        def hook(grad: Any) -> None:
            grad = grad[0] if isinstance(grad, tuple) else grad
            if hasattr(grad, "asnumpy") and str(grad.dtype) == "BFloat16":  # numpy has no bfloat16
                grad = grad.astype(ms.float32)
            grads[key] = grad.asnumpy().copy() if hasattr(grad, "asnumpy") else None
        return hook

    def marked(key: tuple, value: Any) -> Any:
        floating = isinstance(value, ms.Tensor) and str(value.dtype).startswith(("Float", "BFloat"))
        return ms.ops.HookBackward(caught(key))(value) if floating else value

    def mark(index: int, side: str, values: Any, sub: Any = None) -> Any:
        if side == "in":
            return tuple(marked((index, side, k), value) for k, value in enumerate(values))
        grads[(index, side, "template")] = _template(values)
        count = iter(range(1 << 30))

        def walk(value: Any) -> Any:
            if isinstance(value, tuple):  # a namedtuple stays one: the caller may read its fields
                return _rebuilt(value, [walk(item) for item in value])
            return marked((index, side, next(count)), value) if hasattr(value, "asnumpy") else value
        return walk(values) if grads[(index, side, "template")] is not False else values
    return mark


def _rebuilt(value: tuple, items: list) -> tuple:
    """``items`` in ``value``'s own tuple type: a namedtuple takes them as arguments, a plain tuple as one."""
    if type(value) is tuple:
        return tuple(items)
    try:
        return type(value)(*items)
    except TypeError:  # a tuple subclass that takes an iterable
        return type(value)(items)


def _seen(calls: list, grads: dict, index: int) -> Optional[dict]:
    """Call ``index``'s input and output gradients when its backward can be replayed and compared, else None: tensors
    for positional arguments only, an output a gradient can be given to, and a gradient for at least one input and
    one output tensor (an output tensor the backward gave none, an LSTM's unused state, had a zero gradient)."""
    _, call_args, kwargs, output, _ = calls[index]
    template = grads.get((index, "out", "template"), False)
    grad_in = [grads.get((index, "in", k)) for k in range(len(call_args))]
    got = [grads.get((index, "out", k)) for k in range(len(output))]
    comparable = (bool(call_args) and not kwargs and all(hasattr(a, "asnumpy") for a in call_args) and output
                  and template is not False and any(g is not None for g in got) and any(g is not None for g in grad_in))
    grad_out = [np.zeros_like(value) if g is None else g for g, value in zip(got, output)]
    return {"grad_in": grad_in, "grad_out": grad_out, "template": template} if comparable else None


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


def _where(ms: Any, cell: Any) -> tuple[str, str]:
    """("bprop", file:line) for a cell with its own bprop, else ("construct", its construct's place)."""
    bprop = getattr(type(cell), "bprop", None)
    if bprop is not None and not mindspores(ms, cell):
        try:
            return "bprop", f"{os.path.relpath(inspect.getsourcefile(bprop) or '?')}:{inspect.getsourcelines(bprop)[1]}"
        except (OSError, TypeError, ValueError):  # no source, or another drive than the working folder
            pass
    return "construct", construct_of(ms, cell)


def _graph_input_grads(ms: Any, sub: Any, call_args: tuple, seen: dict) -> list:
    """The input gradients of ``sub``'s backward run alone in GRAPH_MODE from the recorded output gradient."""
    sens = iter([ms.Tensor(g) for g in seen["grad_out"]])

    def shaped(template: Any) -> Any:  # the output gradient in the output's own structure
        return tuple(shaped(item) for item in template) if isinstance(template, tuple) else next(sens)
    grad = ms.ops.GradOperation(get_all=True, sens_param=True)(sub)
    return arrays(grad(*fresh(call_args), shaped(seen["template"])))


def entry_keys(*args: Any) -> dict[str, Any]:
    """``localise_backward(*args)`` as the keys of a grad call's or a step's entry: ``diverges_at``, and
    ``eager_repeatable`` false when the eager recordings part (evidence that the eager side is the wrong one)."""
    at = localise_backward(*args)
    return {"diverges_at": at, **({"eager_repeatable": False} if (at or {}).get("unrepeatable") else {})}


def localise_backward(ms: Any, probes: Any, hidden: Callable[[], ContextManager[Any]], math: Any, grads_seen: dict,
                      run: Any, args: tuple, rtol: Optional[float], atol: Optional[float]) -> Optional[dict[str, Any]]:
    """{"path", "cell", "kind", "where", "graph_runs", "skipped", "eager_runs"} of the innermost sub-cell call whose
    backward, run alone in GRAPH_MODE, parts from the eager run's (``path`` None when none does; ``kind`` "bprop" for a
    cell with its own; ``skipped`` the calls that could not be compared); with ``unrepeatable`` true (and ``kind``
    "unrepeatable") when the two eager runs part, at the call where they do; None when the experiment could not run
    or compared nothing. ``run(args)`` is the grad call made eagerly, ``run.cells`` what it differentiates;
    ``grads_seen`` the test's grad entries, the last this call's. Run once per test, for the first grad call that
    parts (later ones inherit it), and not for one whose eager runs disagree with each other or whose graph holds
    MindSpore random ops: a replay would part by design."""
    entry = grads_seen[max(grads_seen)]
    if entry.get("eager_repeatable") is False or entry.get("random_ops") or entry.get("graph_unread") or any(
            "diverges_at" in earlier for earlier in grads_seen.values()):
        return None
    cells = list(getattr(run, "cells", ()))
    params = list({id(p): p for cell in cells for p in cell.get_parameters()}.values())
    saved = [p.asnumpy().copy() for p in params]
    states = (np.random.get_state(), random.getstate())
    names = {id(sub): name for root in cells for name, sub in root.cells_and_names()}
    runs, where = 0, -1
    skipped: list[int] = []
    recorded: list[tuple[list, dict]] = []

    def record() -> tuple[list, dict]:
        grads: dict = {}
        returned: list = []  # what the grad call returns (weight gradients too): compared between the recordings
        try:
            calls = record_calls(ms, lambda *copies: returned.append(run(copies)), args, states,
                                 gradient_tap(ms, grads))
            grads["returned"] = arrays(returned)
            return calls, grads
        finally:
            put_back(ms, params, saved)
    try:
        with probes.paused(), hidden(), eagerly(ms):
            recorded.append(record())
            moved, runs_made, returned_parted = None, 1, False
            while moved is None and runs_made < EAGER_RUNS:
                recorded[1:] = [record()]  # the first and the latest only: each holds every sub-cell's values
                runs_made += 1
                moved = first_unrepeatable(math, recorded[0], recorded[-1], rtol, atol)
                returned_parted = returned_parted or returned_part(math, recorded[0][1], recorded[-1][1], rtol, atol)
            if moved is None and returned_parted:  # only what it returned parts (weight gradients): no place shown
                moved = (-1, "backward")
            calls, grads = recorded[0]
            if moved is not None:  # the eager side is not repeatable: comparing it with the graph says nothing
                return _found(ms, cells, names, calls[moved[0]][0] if moved[0] >= 0 else None, moved[1], 0, [],
                              runs_made)
            ms.set_context(mode=ms.GRAPH_MODE)
            while True:
                for index in _candidates(calls, where, lambda i: _seen(calls, grads, i), skipped):
                    seen = _seen(calls, grads, index) or {}
                    if not all(np.isfinite(g).all() for g in seen["grad_out"] if g.dtype.kind in "fc"):
                        skipped.append(index)  # a backward from a non-finite gradient says nothing of its own
                        continue
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
    return _found(ms, cells, names, calls[where][0] if where >= 0 else None, None, runs, skipped, runs_made)


def _found(ms: Any, cells: list, names: dict, cell: Any, unrepeatable: Optional[str], runs: int,
           skipped: list, eager_runs: int) -> dict[str, Any]:
    """The result: ``cell`` named as the user declared it (``path`` None when no cell was found); ``unrepeatable``
    the phase ("forward" or "backward") where two eager runs first part, when they do."""
    said: dict[str, Any] = {"path": None, "graph_runs": runs, "skipped": len(set(skipped)), "eager_runs": eager_runs}
    if unrepeatable:
        said.update(unrepeatable=True, phase=unrepeatable)
    if cell is not None:
        path, cell = user_place(ms, names.get(id(cell), type(cell).__name__), cell, cells)
        kind, place = _where(ms, cell)
        said.update(path=path, cell=type(cell).__name__, kind=kind, where=place)
    return said
