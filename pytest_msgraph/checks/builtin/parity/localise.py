"""After a top-level Cell call's outputs differ between the modes: the innermost sub-cell where they part.

Runs only after a mismatch, on the GRAPH_MODE variant's own cell and inputs, with the
probes paused, its compiles hidden from every budget, the numpy and Python random state
of the call put back, and every parameter restored after each run (the test sees
nothing of it). Nothing is installed on the cells of a test whose modes agree.

1. The call runs once more in PYNATIVE_MODE with a forward hook on every sub-cell
   (removed right after), recording each sub-cell's first call: inputs and outputs.
2. Each child of the diverging cell, in the order they were called, runs alone in
   GRAPH_MODE on its recorded inputs; the first whose output differs from its eager
   output is the one to descend into. A cell none of whose children differ is where the
   modes part: its own construct does something the modes read differently.
"""
from __future__ import annotations

import inspect
import os
import random
from typing import Any, Callable, ContextManager, Optional

import numpy as np

from ....mindspore_side.context_guard import eagerly
from .rerun import arrays, fresh, same


def _put_back(ms: Any, params: list, saved: list) -> None:
    for param, value in zip(params, saved):
        param.set_data(ms.Tensor(value))


def _construct_line(cell: Any) -> str:
    try:
        construct = type(cell).construct
        return f"{os.path.relpath(inspect.getsourcefile(construct) or '?')}:{inspect.getsourcelines(construct)[1]}"
    except (OSError, TypeError):
        return "?"


def _record_eagerly(ms: Any, cell: Any, args: tuple, states: tuple) -> tuple[dict, list]:
    """Each sub-cell's first call in one PYNATIVE_MODE run: {id: (inputs, output arrays)}, and the call order."""
    records: dict = {}
    order: list = []

    def hook(sub: Any, inputs: tuple, output: Any) -> None:
        if id(sub) not in records:
            records[id(sub)] = (inputs, arrays(output))
            order.append(sub)

    subs = [sub for _, sub in cell.cells_and_names() if sub is not cell]
    # Registering a hook turns a sub-cell's empty hook slots (None) into dicts: put the very objects back after.
    slots = [(sub, {k: v for k, v in vars(sub).items() if "hook" in k}) for sub in subs]
    handles = [sub.register_forward_hook(hook) for sub in subs]
    try:
        np.random.set_state(states[0])
        random.setstate(states[1])
        cell(*fresh(args))  # copies: a construct that writes into its inputs must not reach the test's
    finally:
        for handle in handles:
            handle.remove()
        for sub, before in slots:
            vars(sub).update(before)
    return records, order


def localise(ms: Any, probes: Any, hidden: Callable[[], ContextManager[Any]], math: Any, cell: Any, args: tuple,
             rtol: Optional[float], atol: Optional[float]) -> Optional[dict[str, Any]]:
    """{"path", "cell", "construct", "graph_runs"} of the innermost sub-cell whose GRAPH_MODE output parts from its
    PYNATIVE_MODE one (``path`` '' when the top cell's own construct is where); None when it could not run."""
    params = list(cell.get_parameters())
    saved = [p.asnumpy().copy() for p in params]
    states = (np.random.get_state(), random.getstate())
    names = {id(sub): name for name, sub in cell.cells_and_names()}
    runs = 0
    try:
        with probes.paused(), hidden(), eagerly(ms):  # the mode is put back, whatever the replays set
            try:
                records, order = _record_eagerly(ms, cell, args, states)
            finally:
                _put_back(ms, params, saved)
            ms.set_context(mode=ms.GRAPH_MODE)
            where = cell
            while True:
                children = {id(child) for child in where.name_cells().values()}
                for child in (sub for sub in order if id(sub) in children):
                    inputs, eager = records[id(child)]
                    runs += 1
                    try:
                        graph = arrays(child(*inputs))
                    finally:
                        _put_back(ms, params, saved)
                    if not same(math, graph, eager, rtol, atol):
                        where = child
                        break
                else:
                    break
    except Exception:  # a sub-cell that cannot run alone: nothing to say rather than a wrong place
        return None
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
    return {"path": names.get(id(where), ""), "cell": type(where).__name__, "construct": _construct_line(where),
            "graph_runs": runs}
