"""Where non-finite values start in a training step: found from activations and gradients, not from names.

Runs only in the PYNATIVE_MODE variant, after a training step left a trained parameter
NaN or infinite where the step before left them all finite. The step is run again
eagerly from the weights it started from, with a forward and a backward hook on every
sub-cell of what it trains (removed right after, and the weights the test's step left
put back): each sub-cell's inputs and output in the forward, its output and input
gradients in the backward, reduced to "all finite or not".

The place is the first sub-cell whose forward output is non-finite from finite inputs;
if the forward is finite, the innermost sub-cell whose input gradient is non-finite
while its output gradient is finite (the backward of one of its ops made them). The
experiment runs until it shows the same place twice (at most three runs): a place that
moves from run to run (MindSpore's float16 LSTM backward on CPU is nondeterministic) is
reported as moving, with every place seen, never as one of them.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ....mindspore_side.context_guard import eagerly
from ....mindspore_side.probes import cells_behind
from .cell_places import construct_of, public, user_place
from .hooked import hook_every_cell
from .rerun import put_back

RUNS = 3


def _finite(value: Any) -> bool:
    values = value if isinstance(value, (tuple, list)) else (value,)
    for item in values:
        if isinstance(item, (tuple, list)):
            if not _finite(item):
                return False
        elif hasattr(item, "asnumpy") and str(item.dtype).startswith(("Float", "BFloat", "Complex")):
            array = item.asnumpy()
            if not np.isfinite(array).all():
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


def _place(log: list, paths: dict) -> Optional[tuple[str, str, Any]]:
    """(phase, path, cell) of where the non-finite values start in one run's log, or None."""
    for phase, cell, before, after in log:
        if phase == "forward" and before and not after:
            return phase, paths[id(cell)], cell
    made = [cell for phase, cell, before, after in log if phase == "backward" and before and not after]
    for cell in made:  # the innermost: none of its own sub-cells is one
        inner = {id(sub) for _, sub in cell.cells_and_names() if sub is not cell}
        if not any(id(other) in inner for other in made):
            return "backward", paths[id(cell)], cell
    return None


def _hook(cells: list, log: list, kept: Optional[dict], wanted: set) -> Callable[[], None]:
    """Install the recording hooks; returns what removes them and puts the cells' hook slots back as they were.
    ``kept`` (for a repro script) gets the inputs, output and output gradient of the sub-cells whose ids are in
    ``wanted`` (changed between runs), by id."""
    def forward(cell: Any, inputs: Any, output: Any) -> None:
        log.append(("forward", cell, _finite(inputs), _finite(output)))
        if kept is not None and id(cell) in wanted:  # copies: a view's memory is written later (an LSTM's input)
            kept[id(cell)] = {"inputs": _copied(inputs), "output": _copied(output)}

    def backward(cell: Any, grad_in: Any, grad_out: Any) -> None:  # the gradients of its inputs, then of its output
        log.append(("backward", cell, _finite(grad_out), _finite(grad_in)))
        if kept is not None and id(cell) in kept:
            kept[id(cell)]["grad_out"] = _copied(grad_out)

    return hook_every_cell(cells, forward, backward)


def _words(ms: Any, place: tuple[str, str, Any], cells: list) -> dict[str, Any]:
    phase, path, cell = place
    path, cell = user_place(ms, path, cell, cells)
    return {"phase": phase, "path": path, "cell": type(cell).__name__, "construct": construct_of(ms, cell)}


def locate(ms: Any, probes: Any, cells: list, run: Callable[[], Any], trained: list, before: list,
           kept: list, subject: Optional[list] = None) -> Optional[dict[str, Any]]:
    """Run the step ``run()`` from the weights ``before`` of the ``trained`` parameters, with the hooks, until a place
    shows twice.

    {"phase", "path", "cell", "construct", "runs", "seen"} when it did ("phase" None when the places moved);
    None when the step could not run again. ``kept`` (every parameter the replays may change: the trained ones,
    BatchNorm statistics, optimizer moments) is put back as the test's step left it, in every case. ``subject``,
    when given, gets [the cell named, its inputs, the gradient its output had, its weights by name] of the last
    replay (a repro)."""
    paths = {id(sub): public(name) for root in cells for name, sub in root.cells_and_names()}
    saved = [p.asnumpy().copy() for p in kept]
    seen: list = []
    log: list = []
    io: Optional[dict] = {} if subject is not None else None
    # A place is found only when a replay shows one an earlier replay showed: a replay keeps the inputs and weights
    # of those candidates alone (none in the first), not of every sub-cell of the network.
    wanted: set = set()
    remove = _hook(cells, log, io, wanted)
    found = None
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
                log.clear()
                run()
                place = _place(log, paths)
                words = _words(ms, place, cells) if place else None
                if words is not None and words in seen:
                    found = words
                    break
                seen.append(words)
    except Exception:  # the step cannot run again here: say nothing rather than a guessed place
        return None
    finally:
        remove()
        put_back(ms, kept, saved)
    if found is not None:
        if subject is not None and io is not None:
            subject[:] = _tensors(ms, tuple(_subject(cells, found, io)))
        return {**found, "runs": len(seen) + 1, "seen": [found]}
    return {"phase": None, "runs": len(seen), "seen": seen}


def _named(cells: list, places: list) -> list:
    """The sub-cells the places seen so far name (each place by its public path)."""
    paths = {place["path"] for place in places if place}
    return [sub for root in cells for name, sub in root.cells_and_names() if public(name) in paths]


def _subject(cells: list, found: dict[str, Any], io: dict) -> list:
    """[cell, inputs, output gradient shaped as its output (None for a forward start), weights by name] of the place
    found, as the last replay had them; [] when its backward hook did not run. A leaf of the output the backward
    gave no gradient (an unused LSTM state) gets zeros: the gradients come in the order of the output's leaves."""
    cell = next((sub for root in cells for name, sub in root.cells_and_names() if public(name) == found["path"]),
                None)
    seen = io.get(id(cell)) if cell is not None else None
    if cell is None or not seen:
        return []
    weights = {name: io["weights"][id(p)] for name, p in cell.parameters_and_names() if id(p) in io["weights"]}
    if found["phase"] == "forward":
        return [cell, tuple(seen["inputs"]), None, weights]
    if "grad_out" not in seen:
        return []
    given = list(seen["grad_out"] if isinstance(seen["grad_out"], (tuple, list)) else (seen["grad_out"],))

    def shaped(value: Any) -> Any:
        if isinstance(value, (tuple, list)):
            return tuple(shaped(item) for item in value)
        grad = given.pop(0) if given else None
        return grad if grad is not None else value * 0

    return [cell, tuple(seen["inputs"]), shaped(seen["output"]), weights]


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
    return locate(ms, probes, cells, lambda: differentiate(rerun.fresh(inputs)), trained, before, kept, subject)
