"""After a top-level Cell call's outputs differ between the modes: the innermost sub-cell where they part.

Runs only after a mismatch, on the GRAPH_MODE variant's own cell and inputs, with the
probes paused, its compiles hidden from every budget, the numpy and Python random state
of the call put back, and every parameter restored after each run (the test sees
nothing of it). Nothing is installed on the cells of a test whose modes agree.

1. The call runs once more in PYNATIVE_MODE with every Cell call recorded (``Cell.__call__``
   wrapped, put back right after): each sub-cell call with copies of its positional and
   keyword arguments, its output, and the call it was made from. Members of a
   ``CellList`` called from their parent's loop, and a ``SequentialCell``'s members, are
   calls like any other.
2. The calls made from the diverging call, in the order they were made, each run alone
   in GRAPH_MODE on its recorded arguments; the first whose output differs from its eager
   output is the one to descend into. A call none of whose calls differ is where the
   modes part: its own construct does something the modes read differently. When that
   construct is MindSpore's own (a ``TrainOneStepCell``), there is no place in the user's
   code to name: the result says so (``own``: false) rather than name a site-packages file.
"""
from __future__ import annotations

import os
import random
from typing import Any, Callable, ContextManager, Optional

import numpy as np

from ....core.graph_code import construct_location
from ....mindspore_side.context_guard import eagerly
from .rerun import arrays, fresh, put_back, same


def record_calls(ms: Any, cell: Any, args: tuple, states: tuple, tap: Optional[Callable[..., Any]] = None,
                 tap_top: bool = False) -> list:
    """Every Cell call of one PYNATIVE_MODE run: [cell, args, kwargs, output arrays, index of the calling call].

    ``tap(index, "in" or "out", values, the sub-cell)``, when given, may replace a sub-cell call's positional
    arguments before it runs and its output after (``backward`` marks them to catch their gradients); never a call
    made from ``cell`` itself, whose arguments a grad finds its top cell by, unless ``tap_top`` (what is
    differentiated is a function, and the Cells it calls are its parts)."""
    calls: list = []
    stack = [-1]
    cls = ms.nn.Cell
    previous = cls.__call__

    def recording(sub: Any, *call_args: Any, **kwargs: Any) -> Any:
        index = len(calls)
        # Copies, taken before the call: a construct that writes into its inputs must not change what is replayed.
        calls.append([sub, fresh(call_args), dict(zip(kwargs, fresh(tuple(kwargs.values())))), [], stack[-1]])
        tapped = tap is not None and (stack[-1] >= 0 or tap_top)
        stack.append(index)
        try:
            out = previous(sub, *(tap(index, "in", call_args, sub) if tapped else call_args), **kwargs)  # type: ignore
        finally:
            stack.pop()
        calls[index][3] = arrays(out)
        return tap(index, "out", out, sub) if tapped else out  # type: ignore[misc]

    cls.__call__ = recording
    try:
        np.random.set_state(states[0])
        random.setstate(states[1])
        cell(*fresh(args))  # copies: a construct that writes into its inputs must not reach the test's
    finally:
        cls.__call__ = previous
    return calls


def _owned_by_mindspore(ms: Any, cell: Any) -> bool:
    source = construct_location(type(cell))
    return os.path.abspath(source.rpartition(":")[0]).startswith(os.path.dirname(os.path.abspath(ms.__file__)))


def localise(ms: Any, probes: Any, hidden: Callable[[], ContextManager[Any]], math: Any, cell: Any, args: tuple,
             rtol: Optional[float], atol: Optional[float], subject: Optional[list] = None) -> Optional[dict[str, Any]]:
    """{"path", "cell", "construct", "graph_runs", "own"} of the innermost sub-cell call whose GRAPH_MODE output
    parts from its PYNATIVE_MODE one (``path`` '' when the top cell's own construct is where; ``own`` false when
    that construct is MindSpore's); None when it could not run. ``subject`` gets [the sub-cell, its recorded
    positional arguments, its keyword arguments] (for a repro script)."""
    params = list(cell.get_parameters())
    saved = [p.asnumpy().copy() for p in params]
    states = (np.random.get_state(), random.getstate())
    names = {id(sub): name for name, sub in cell.cells_and_names()}
    runs = 0
    try:
        with probes.paused(), hidden(), eagerly(ms):  # the mode is put back, whatever the replays set
            try:
                calls = record_calls(ms, cell, args, states)
            finally:
                put_back(ms, params, saved)
            ms.set_context(mode=ms.GRAPH_MODE)
            where = 0
            while True:
                for index in (i for i, call in enumerate(calls) if call[4] == where):
                    sub, call_args, kwargs, eager, _ = calls[index]
                    runs += 1
                    try:
                        graph = arrays(sub(*fresh(call_args), **dict(zip(kwargs, fresh(tuple(kwargs.values()))))))
                    finally:
                        put_back(ms, params, saved)
                    if not same(math, graph, eager, rtol, atol):
                        where = index
                        break
                else:
                    break
    except Exception:  # a sub-cell that cannot run alone: nothing to say rather than a wrong place
        return None
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
    found = calls[where][0]
    if subject is not None:
        subject[:] = calls[where][:3]
    path = "" if where == 0 else names.get(id(found), f"(a {type(found).__name__} {type(cell).__name__} does not hold)")
    return {"path": path, "cell": type(found).__name__,
            "construct": construct_location(type(found)), "graph_runs": runs,
            "own": not _owned_by_mindspore(ms, found)}
