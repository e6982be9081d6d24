"""Cell calls: the plain forwards a test makes, patched on ``nn.Cell.__call__``.

A *plain forward* is the outermost Cell call made outside any grad; sub-cell calls
pass straight through (the hot path stays bare). In GRAPH_MODE only the outermost
call reaches Python at all. Inside a PYNATIVE_MODE grad, every cell run is counted on
the grad call instead.
"""
from __future__ import annotations

import weakref
from typing import Any, Optional

from .grad_calls import ran_in_grad
from .locations import ref_to


def deferred_error(out: Any) -> Optional[BaseException]:
    """The error a PyNative call raises only when its output is first read, or None.

    PyNative may dispatch a kernel lazily: an op with no kernel on this device returns a
    tensor whose first ``.shape`` raises. That is the user's error, surfacing later in
    the user's own code; the checks must see the call as failed, not crash on it.
    """
    for value in out if isinstance(out, (tuple, list)) else (out,):
        if hasattr(value, "asnumpy"):
            try:
                _ = value.shape  # the first read raises the deferred error
            except Exception as exc:
                return exc
    return None


def install(hub: Any) -> None:
    """Patch ``Cell.__call__``; the events go to ``hub``'s listeners."""
    orig_cell_call = hub.orig_cell_call

    def cell_call(cell, *args, **kwargs):
        __tracebackhide__ = True  # a failing test's traceback shows the user's frames and MindSpore's
        if not hub.listeners:
            return orig_cell_call(cell, *args, **kwargs)
        grad = hub.grad
        if grad is not None:
            ran_in_grad(grad, cell, args, hub.recent)
            return orig_cell_call(cell, *args, **kwargs)
        depth = hub.depth
        if depth > 1:  # deep inside a plain forward: the hot path, kept bare
            return orig_cell_call(cell, *args, **kwargs)
        hub.recent[id(cell)] = (weakref.ref(cell), tuple(map(ref_to, args)))
        if depth == 0:
            hub.emit("forward_started", cell, args)
        hub.depth = depth + 1
        out = failed = None
        try:
            out = orig_cell_call(cell, *args, **kwargs)
            return out
        except BaseException as exc:
            failed = exc
            raise
        finally:
            hub.depth = depth
            if depth == 0:
                hub.emit("forward_finished", cell, args, out, failed or deferred_error(out))

    hub.cell_cls.__call__ = cell_call
    orig_compile = hub.orig_cell_compile

    def cell_compile(cell, *args, **kwargs):
        __tracebackhide__ = True
        # An explicit ``net.compile(x)``: the graph takes the cell's attributes as they are now, not at its first call.
        # A call compiles through here too, from inside cell_call (depth > 0): not an event of its own.
        if not hub.listeners or hub.depth or hub.grad is not None:
            return orig_compile(cell, *args, **kwargs)
        hub.emit("compile_started", cell, args)
        result = orig_compile(cell, *args, **kwargs)
        hub.emit("compile_finished", cell, args)
        return result

    hub.cell_cls.compile = cell_compile
