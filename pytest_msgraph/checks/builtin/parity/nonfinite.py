"""Where non-finite values start in a training step: found from activations and gradients, not from names.

Runs only in the PYNATIVE_MODE variant, after a training step left a trained parameter
NaN or infinite where the step before left them all finite. The step is run again
eagerly from the weights it started from, with every sub-cell call recorded
(``localise.record_calls``: ``Cell.__call__`` wrapped, put back right after) and its
tensors passed through ``ops.HookBackward`` (``backward.gradient_tap``), and the weights
the test's step left put back: each sub-cell call's inputs and output in the forward,
its output and input gradients in the backward, reduced to "all finite or not". No hook
is registered on a cell: on MindSpore 2.7.2 that makes the next GRAPH_MODE call of a
grad compiled earlier compile again (measured), and a later test would train otherwise.

The place is the first sub-cell whose forward output is non-finite from finite inputs;
if the forward is finite, the innermost sub-cell whose input gradient is non-finite
while its output gradient is finite (the backward of one of its ops made them). The
experiment runs until it shows the same place twice (at most three runs): a place that
moves from run to run (MindSpore's float16 LSTM backward on CPU is nondeterministic) is
reported as moving, with every place seen, never as one of them.
"""
from __future__ import annotations

import random
from typing import Any, Callable, Optional

import numpy as np

from ....mindspore_side.context_guard import eagerly
from ....mindspore_side.probes import cells_behind
from .backward import gradient_tap
from .cell_places import construct_of, public, user_place
from .localise import record_calls
from .rerun import put_back
from .unrepeatable import innermost

RUNS = 3


def _finite(value: Any) -> bool:
    values = value if isinstance(value, (tuple, list)) else (value,)
    for item in values:
        if isinstance(item, (tuple, list)):
            if not _finite(item):
                return False
        elif hasattr(item, "asnumpy") and str(item.dtype).startswith(("Float", "BFloat", "Complex")):
            if not np.isfinite(item.asnumpy()).all():
                return False
        elif isinstance(item, np.ndarray) and item.dtype.kind in "fc" and not np.isfinite(item).all():
            return False
    return True


def _copied(value: Any) -> Any:
    """numpy copies of the tensors in ``value``: ``Tensor.copy()`` shares memory a later op writes (measured: an
    LSTM's input read back NaN when the repro was written). The hooks read the values anyway (``_finite``)."""
    if isinstance(value, (tuple, list)):
        return tuple(_copied(item) for item in value)
    return value.asnumpy().copy() if hasattr(value, "asnumpy") else value


def _tensors(ms: Any, value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_tensors(ms, item) for item in value)
    return ms.Tensor(value) if isinstance(value, np.ndarray) else value


def _place(calls: list, grads: dict, finite_in: dict) -> Optional[tuple[str, int]]:
    """(phase, call index) of where the non-finite values start in one replay, or None: the innermost call, first in
    call order, whose output is non-finite from finite inputs; else the innermost, first in backward order, whose
    input gradients are non-finite while its output gradients are finite. ``finite_in``: whether each tapped call's
    inputs were finite as they came in; a call made from the differentiated function itself (never tapped) is
    judged by the copies of its inputs taken then."""
    forward = [i for i, call in enumerate(calls) if finite_in.get(i, _finite(call[1])) and not _finite(call[3])]
    if forward:
        return "forward", min(innermost(calls, forward))
    made = []
    for index in range(len(calls)):
        outs = [grads[key] for key in grads if key[:2] == (index, "out") and isinstance(key[2], int)]
        ins = [grads[key] for key in grads if key[:2] == (index, "in") and isinstance(key[2], int)]
        if any(g is not None for g in outs) and _finite(outs) and not _finite(ins):
            made.append(index)
    return ("backward", max(innermost(calls, made))) if made else None  # the last made: the first its backward runs


def _tap(ms: Any, grads: dict, finite_in: dict, kept: Optional[dict], wanted: set) -> Callable[..., Any]:
    """What marks each sub-cell call's tensors (``backward``'s tap: their gradients land in ``grads``), and notes
    whether its inputs are finite as they come in. ``kept`` (for a repro script) gets numpy copies of the inputs of
    each call of the sub-cells whose ids are in ``wanted``, by the call's index."""
    mark = gradient_tap(ms, grads)

    def tap(index: int, side: str, values: Any, sub: Any) -> Any:
        if side == "in":
            finite_in[index] = _finite(values)
            if kept is not None and id(sub) in wanted:  # copies: a view's memory is written later (an LSTM's input)
                kept[index] = _copied(values)
        return mark(index, side, values, sub)
    return tap


def _words(ms: Any, place: tuple[str, str, Any], cells: list) -> dict[str, Any]:
    phase, path, cell = place
    path, cell = user_place(ms, path, cell, cells)
    return {"phase": phase, "path": path, "cell": type(cell).__name__, "construct": construct_of(ms, cell)}


def locate(ms: Any, probes: Any, cells: list, run: Callable[[], Any], trained: list, before: list,
           kept: list, subject: Optional[list] = None, function: bool = False) -> Optional[dict[str, Any]]:
    """Run the step ``run()`` from the weights ``before`` of the ``trained`` parameters, its calls recorded, until a
    place shows twice.

    {"phase", "path", "cell", "construct", "runs", "seen"} when it did ("phase" None when the places moved; a
    replay whose gradients went non-finite with no sub-cell call showing where is seen as {"unplaced": True}, one
    whose gradients stayed finite as None);
    None when the step could not run again. ``kept`` (every parameter the replays may change: the trained ones,
    BatchNorm statistics, optimizer moments) is put back as the test's step left it, in every case. ``subject``,
    when given, gets [the cell named, its inputs, the gradient its output had, its weights by name] of the last
    replay (a repro). ``function``: what ``run`` differentiates is a function, whose own Cell calls (a model, then a
    loss) are watched too; a differentiated Cell's own call is not (its inputs are the grad's)."""
    paths = {id(sub): public(name) for root in cells for name, sub in root.cells_and_names()}
    saved = [p.asnumpy().copy() for p in kept]
    states = (np.random.get_state(), random.getstate())
    seen: list = []
    io: Optional[dict] = {} if subject is not None else None
    # A place is found only when a replay shows one an earlier replay showed: a replay keeps the inputs and weights
    # of those candidates alone (none in the first), not of every sub-cell of the network.
    wanted: set = set()
    found = None
    calls: list = []
    grads: dict = {}
    place = None
    try:
        with probes.paused(), eagerly(ms):
            for _ in range(RUNS):
                put_back(ms, trained, before)
                if io is not None:  # the weights this replay starts from: a repro's (the step changes them)
                    io.clear()
                    io["weights"] = {id(p): p.asnumpy().copy() for sub in _named(cells, seen)
                                     for p in sub.get_parameters()}
                    wanted.clear()
                    wanted.update(id(sub) for sub in _named(cells, seen))
                grads = {}
                finite_in: dict = {}
                result: list = []
                calls = record_calls(ms, lambda *_, kept=result: kept.append(run()), (), states,
                                     _tap(ms, grads, finite_in, io, wanted), tap_top=function)
                place = _place(calls, grads, finite_in)
                cell = calls[place[1]][0] if place else None
                words = _words(ms, (place[0], paths.get(id(cell), type(cell).__name__), cell), cells) if place else None
                if place is None and not _finite(result):
                    words = {"unplaced": True}  # it went non-finite, in no sub-cell call's forward or input gradients
                elif words is not None and words in seen:
                    found = words
                    break
                seen.append(words)
    except Exception:  # the step cannot run again here: say nothing rather than a guessed place
        return None
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
        put_back(ms, kept, saved)
    if found is not None:
        if subject is not None and io is not None:
            subject[:] = _tensors(ms, tuple(_subject(cells, found, io, calls, grads, place)))
        return {**found, "runs": len(seen) + 1, "seen": [found]}
    return {"phase": None, "runs": len(seen), "seen": seen}


def _named(cells: list, places: list) -> list:
    """The sub-cells the places seen so far name (each place by its public path)."""
    paths = {place["path"] for place in places if place and "path" in place}
    return [sub for root in cells for name, sub in root.cells_and_names() if public(name) in paths]


def _subject(cells: list, found: dict[str, Any], io: dict, calls: list, grads: dict, place: Any) -> list:
    """[cell, inputs, output gradient shaped as its output (None for a forward start), weights by name] of the place
    found, from the call of the cell named that made (or holds) the last replay's place; [] when it was not recorded.
    An output tensor the backward gave no gradient (an unused LSTM state) gets zeros."""
    cell = next((sub for root in cells for name, sub in root.cells_and_names() if public(name) == found["path"]),
                None)
    index = place[1] if place else -1
    while index >= 0 and not (index in io and calls[index][0] is cell):  # the place may be inside the cell named
        index = calls[index][4]
    if cell is None or index < 0:
        return []
    weights = {name: io["weights"][id(p)] for name, p in cell.parameters_and_names() if id(p) in io["weights"]}
    if found["phase"] == "forward":
        return [cell, tuple(io[index]), None, weights]
    template = grads.get((index, "out", "template"), False)
    if template is False:
        return []
    given = iter([grads.get((index, "out", k)) for k in range(len(calls[index][3]))])
    outputs = iter(calls[index][3])

    def shaped(template: Any) -> Any:
        if isinstance(template, tuple):
            return tuple(shaped(item) for item in template)
        grad, value = next(given), next(outputs)
        return grad if grad is not None else np.zeros_like(value)

    return [cell, tuple(io[index]), shaped(template), weights]


def after_step(ms: Any, probes: Any, rerun: Any, step: Any, args: tuple, trained: list, before: list,
               last_grad: Any, subject: Optional[list] = None) -> Optional[dict[str, Any]]:
    """``locate`` for a step that left a trained parameter non-finite: its forward and backward again (its optimizer
    update is left out: it makes no gradient), of a train-step cell's network on the step's inputs, or of the grad
    call whose gradients an optimizer applied."""
    if hasattr(step, "network"):
        fn, inputs = step.network, args
    elif last_grad is not None:
        fn, inputs = last_grad.fn, last_grad.args
    else:
        return None
    cells = cells_behind(fn)
    differentiate = rerun.eager_grad(ms, fn, None, trained)
    kept = list({id(p): p for root in cells for p in root.get_parameters()}.values()) + trained
    return locate(ms, probes, cells, lambda: differentiate(rerun.fresh(inputs)), trained, before, kept, subject,
                  function=not isinstance(fn, ms.nn.Cell))
