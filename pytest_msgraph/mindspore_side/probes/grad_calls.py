"""Grad calls: every PYNATIVE_MODE grad's forward, and every GRAPH_MODE grad function Python calls.

* ``_pynative_func_grad_forward`` (in ``ops.composite.base`` and, imported by name,
  in ``ops.function.grad.grad_func``): every PYNATIVE_MODE grad API goes through it
  to run, or skip, the forward. Cells that run inside it are counted on the
  GradCall, which also names the first one re-run on the very inputs of a plain
  call just before (a forward run twice).
* ``_pynative_func_grad_backward`` (likewise in both modules): the PYNATIVE_MODE
  backward of every grad API; what it returns are the gradients.
* ``_JitExecutor.__call__``: in GRAPH_MODE a grad function is a ``@jit``
  ``after_grad`` closure; its executor is reached only when Python code calls it,
  never from inside a compiled graph, so the graph parser never sees our code.

Events: ``grad_started(call)`` and ``grad_finished(call)`` around the forward a grad
runs (PYNATIVE_MODE) or around the whole grad function (GRAPH_MODE), and
``grads_computed(call, named)`` with the gradients, each named (``grad_outputs``).
"""
from __future__ import annotations

import dataclasses
import sys
from types import FrameType
from typing import Any, Callable, Optional

from .. import internals
from .grad_outputs import gradients_of, named_gradients
from .locations import closure_values, is_after_grad, is_internal, same_objects

PYNATIVE = "PYNATIVE_MODE"
GRAPH = "GRAPH_MODE"


@dataclasses.dataclass
class GradCall:
    fn: Any  # the differentiated Cell or function
    args: tuple
    api: str  # "ops.GradOperation", "grad", "value_and_grad", "ops.vjp"
    mode: str
    location: str  # "file.py:12" of the user's call
    nested: bool  # made inside a plain Cell call (a train-step cell), not by the test itself
    # PYNATIVE_MODE only: the cell whose forward the grad re-ran on the very inputs of a
    # plain call just before (the first such cell, the outermost), and how often each
    # cell ran inside the grad: {id(cell): [cell, runs]}.
    replayed: Any = None
    runs: dict = dataclasses.field(default_factory=dict)
    graph_fn: Any = None  # GRAPH_MODE: the jitted after_grad function whose graph ran
    # GRAPH_MODE: the _JitExecutor that ran it and the phase of its graph (graph_inspection.jit_graph reads it).
    graph_executor: Any = None
    graph_phase: Optional[str] = None
    # PYNATIVE_MODE: the differentiated Cell had set_grad() when the grad began. MindSpore 2.7 and
    # 2.8 re-run its forward for value_and_grad even then (2.9 reuses the recorded one).
    set_grad: bool = False

    def runs_of(self, cell: Any) -> int:
        entry = self.runs.get(id(cell))
        return entry[1] if entry is not None and entry[0] is cell else 0


def api_name(grad_op: Any) -> str:
    kind = type(grad_op).__name__
    if kind == internals.GRAD_OPERATION:
        return "ops.GradOperation"
    if kind == internals.GRAD_FUNCTION:
        return "value_and_grad" if getattr(grad_op, "get_value", False) else "grad"
    return kind


def ran_in_grad(call: GradCall, cell: Any, args: tuple, recent: dict) -> None:
    """Count a cell run inside the grad; note it when it re-runs the very inputs of a recent plain call."""
    entry = call.runs.setdefault(id(cell), [cell, 0])
    entry[1] += 1
    if call.replayed is None:
        last = recent.get(id(cell))
        if last is not None and last[0]() is cell and same_objects(last[1], args):
            call.replayed = cell


def graph_grad_target(executor: Any) -> Optional[dict]:
    """The after_grad closure's free variables (fn, grad_, weights, grad_position) when it is a grad's."""
    func = getattr(executor, "fn", None)
    if not is_after_grad(func):
        return None
    values = closure_values(func)
    if not all(name in values for name in internals.GRAPH_GRAD_TARGET):
        return None
    return values


def pynative_api(ms_dir: str) -> str:
    """Which grad API runs the forward, from the grad op in its callers' frames (ops.vjp and ops.jvp by name)."""
    frame: Optional[FrameType] = sys._getframe(2)
    found = None
    while frame is not None and is_internal(frame, ms_dir):
        name = frame.f_code.co_name
        if name in ("vjp", "jvp"):
            return f"ops.{name}"
        if name == "wrap_container":  # 2.7, 2.8: the function ops.vjp returned runs a _Grad
            return "ops.vjp"
        grad_op = frame.f_locals.get("self")
        if found is None and grad_op is not None and type(grad_op).__name__ in internals.GRAD_CLASSES:
            found = api_name(grad_op)
        frame = frame.f_back
    return found or "grad"


def install(hub: Any) -> None:
    """Patch the grad entry points of this release (``hub.grad_style``); the events go to ``hub``'s listeners."""

    def forward(fn, args, run):
        if not hub.listeners or hub.grad is not None:
            return run()
        call = GradCall(fn, args, pynative_api(hub.ms_dir), PYNATIVE, hub.user_location(), nested=hub.depth > 0,
                        set_grad=getattr(fn, "requires_grad", False) is True)
        hub.emit("grad_started", call)
        hub.grad = call
        try:
            return run()
        finally:
            hub.grad = None
            hub.last_grad = call  # its backward follows
            hub.emit("grad_finished", call)

    def backward(fn, grad_op, weights, grad_position, run):
        try:
            grads = run()
        finally:
            call, hub.last_grad = hub.last_grad, None
        if hub.listeners and call is not None and call.fn is fn:
            hub.emit("grads_computed", call, named_gradients(grads, grad_op, weights, grad_position, hub.names))
        return grads

    if hub.grad_style == "functions":
        _install_functions(hub, forward, backward)
    else:
        _install_methods(hub, forward, backward)
    _install_graph_grads(hub)


def _install_functions(hub: Any, forward: Callable, backward: Callable) -> None:
    """2.9 and later: two module functions, patched where grad_func imported them by name too."""
    orig_forward, orig_backward = hub.base._pynative_func_grad_forward, hub.base._pynative_func_grad_backward

    def grad_forward(fn, *args, **kwargs):
        __tracebackhide__ = True  # a failing test's traceback shows the user's frames and MindSpore's
        return forward(fn, args, lambda: orig_forward(fn, *args, **kwargs))

    def grad_backward(fn, grad_op, weights, grad_position, has_aux, *run_args):
        __tracebackhide__ = True
        return backward(fn, grad_op, weights, grad_position,
                        lambda: orig_backward(fn, grad_op, weights, grad_position, has_aux, *run_args))

    for module in (hub.base, hub.grad_func):
        if getattr(module, "_pynative_func_grad_forward", None) is orig_forward:
            setattr(module, "_pynative_func_grad_forward", grad_forward)
        if getattr(module, "_pynative_func_grad_backward", None) is orig_backward:
            setattr(module, "_pynative_func_grad_backward", grad_backward)


def _install_methods(hub: Any, forward: Callable, backward: Callable) -> None:
    """2.7 and 2.8: ``_pynative_forward_run`` of GradOperation and _Grad, and the grad executor's
    ``grad`` / ``grad_aux`` (has_aux) for the backward."""

    def forward_run(orig: Callable) -> Callable:
        def watched(grad_op, fn, grad, weights, *args, **kwargs):
            __tracebackhide__ = True
            # The forward's inputs, as 2.9's function gets them: a sens_param grad's last argument is the sens.
            inputs = args[:-1] if getattr(grad_op, "sens_param", False) and "sens" not in kwargs and args else args
            return forward(fn, inputs, lambda: orig(grad_op, fn, grad, weights, *args, **kwargs))
        return watched

    def executor_grad(orig: Callable) -> Callable:
        def watched(executor, fn, grad_op, weights, grad_position, *run_args):
            __tracebackhide__ = True
            return backward(fn, grad_op, weights, grad_position,
                            lambda: orig(executor, fn, grad_op, weights, grad_position, *run_args))
        return watched

    for cls in (hub.base.GradOperation, hub.base._Grad):
        cls._pynative_forward_run = forward_run(cls._pynative_forward_run)
    executor = hub.grad_executor  # the _PyNativeExecutor class
    executor.grad = executor_grad(executor.grad)
    executor.grad_aux = executor_grad(executor.grad_aux)


def _phase_noted(executor: Any, call: GradCall, run: Callable[[], Any]) -> Any:
    """``run()``, noting on ``call`` the phase of the graph the executor compiles or finds for it: the executor's
    ``__call__`` asks ``self.compile`` at every call, so a wrapper on the instance, outside the class's own (and the
    compile probe's), sees it. The phase is not kept on the executor."""
    compile_ = executor.compile

    def noted(*args: Any, **kwargs: Any) -> Any:
        call.graph_phase = compile_(*args, **kwargs)
        return call.graph_phase

    executor.compile = noted
    try:
        return run()
    finally:
        vars(executor).pop("compile", None)
        call.graph_executor = executor


def _install_graph_grads(hub: Any) -> None:
    orig_jit_call = hub.api._JitExecutor.__call__

    def jit_call(executor, *args, **kwargs):
        __tracebackhide__ = True  # a failing test's traceback shows the user's frames and MindSpore's
        target = graph_grad_target(executor) if hub.listeners and hub.is_graph() else None
        if target is None:
            return orig_jit_call(executor, *args, **kwargs)
        grad_op = target["grad_"]
        call = GradCall(target["fn"], args, api_name(grad_op), GRAPH, hub.user_location(), nested=hub.depth > 0,
                        graph_fn=executor.fn)
        hub.emit("grad_started", call)
        try:
            out = _phase_noted(executor, call, lambda: orig_jit_call(executor, *args, **kwargs))
        finally:
            hub.emit("grad_finished", call)
        hub.emit("grads_computed", call, named_gradients(gradients_of(out, grad_op), grad_op, target.get("weights"),
                                                         target.get("grad_position"), hub.names))
        return out

    hub.api._JitExecutor.__call__ = jit_call
