"""Turn MindSpore's Python-level calls into events the checks listen to.

Three places are patched, once per session, and only while a check listens:

* ``nn.Cell.__call__``: a *plain forward* is the outermost Cell call made outside
  any grad; sub-cell calls pass straight through. In GRAPH_MODE only the outermost
  call reaches Python at all.
* ``_pynative_func_grad_forward`` (in ``ops.composite.base`` and, imported by name,
  in ``ops.function.grad.grad_func``): every PYNATIVE_MODE grad API goes through it
  to run, or skip, the forward. Cells that run inside it are counted on the
  GradCall, which also names the first one re-run on the very inputs of a plain
  call just before (a forward run twice).
* ``_JitExecutor.__call__``: in GRAPH_MODE a grad function is a ``@jit``
  ``after_grad`` closure; its executor is reached only when Python code calls it,
  never from inside a compiled graph, so the graph parser never sees our code.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import sys
import weakref
from types import FrameType
from typing import Any, Callable, Iterator, Optional

PYNATIVE = "PYNATIVE_MODE"
GRAPH = "GRAPH_MODE"
_OWN_DIR = os.path.dirname(os.path.abspath(__file__))


class ProbeUnavailable(Exception):
    """A MindSpore internal the probes rely on is missing (another MindSpore version)."""


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

    def runs_of(self, cell: Any) -> int:
        entry = self.runs.get(id(cell))
        return entry[1] if entry is not None and entry[0] is cell else 0


def ref_to(value: Any) -> Any:
    try:
        return weakref.ref(value)
    except TypeError:  # ints, strings, None: compared by identity as they are
        return value


def same_objects(refs: tuple, args: tuple) -> bool:
    """True when ``args`` are the very objects recorded in ``refs`` (a dead reference never matches)."""
    if len(refs) != len(args) or not args:
        return False
    for ref, arg in zip(refs, args):
        target = ref() if isinstance(ref, weakref.ref) else ref
        if target is not arg:
            return False
    return True


def _api_name(grad_op: Any) -> str:
    kind = type(grad_op).__name__
    if kind == "GradOperation":
        return "ops.GradOperation"
    if kind == "_Grad":
        return "value_and_grad" if getattr(grad_op, "get_value", False) else "grad"
    return kind


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


class Probes:
    def __init__(self, ms: Any) -> None:
        self._listeners: list = []
        self._depth = 0  # nesting of plain Cell calls
        self._grad: Optional[GradCall] = None  # the PYNATIVE_MODE grad whose forward is running
        # id(cell) -> (weak cell, weak args) of the last plain call at depth 0 or 1: the
        # network a test calls, or the network a train-step cell calls. Weak references,
        # so the probes keep no activation alive and a reused id cannot match.
        self._recent: dict = {}
        self._ms_dir = os.path.dirname(os.path.abspath(ms.__file__))
        self._context = importlib.import_module("mindspore.context")
        try:
            self._cell_cls = ms.nn.Cell
            self._base = importlib.import_module("mindspore.ops.composite.base")
            self._grad_func = importlib.import_module("mindspore.ops.function.grad.grad_func")
            self._api = importlib.import_module("mindspore.graph.api")
            self._orig_cell_call = self._cell_cls.__call__
            self._orig_grad_forward = self._base._pynative_func_grad_forward
            self._orig_jit_call = self._api._JitExecutor.__call__
        except (ImportError, AttributeError) as exc:
            raise ProbeUnavailable(
                f"MindSpore {getattr(ms, '__version__', '?')} lacks an internal this check relies on ({exc})"
            ) from None
        self._installed = False
        from .graph_inspection import GraphCache

        self.graphs = GraphCache()  # compiled-graph facts, read once per graph by any check

    def mode(self) -> str:
        """The current mode, read without get_context (which costs ~0.1 ms a call)."""
        return GRAPH if self._context._get_mode() == 0 else PYNATIVE

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No listener hears the calls made inside (a fixture's own comparison runs)."""
        saved = (self._listeners, self._depth, self._grad)
        self._listeners, self._depth, self._grad = [], 0, None
        try:
            yield
        finally:
            self._listeners, self._depth, self._grad = saved

    # -- listeners ---------------------------------------------------------
    def listen(self, listener: Any) -> None:
        self._install()
        if listener not in self._listeners:
            self._listeners.append(listener)

    def stop(self, listener: Any) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
        if not self._listeners:
            self._depth, self._grad = 0, None
            self._recent.clear()

    def _emit(self, event: str, *args: Any) -> None:
        for listener in list(self._listeners):
            handler = getattr(listener, event, None)
            if handler is None:
                continue
            try:
                handler(*args)
            except Exception as exc:  # a check's bug must never break the user's test
                listener.probe_failed(event, exc)

    # -- patches -------------------------------------------------------------
    def _install(self) -> None:
        if self._installed:
            return
        probes = self
        orig_cell_call, orig_grad_forward, orig_jit_call = (
            self._orig_cell_call, self._orig_grad_forward, self._orig_jit_call)

        def cell_call(cell, *args, **kwargs):
            __tracebackhide__ = True  # a failing test's traceback shows the user's frames and MindSpore's
            if not probes._listeners:
                return orig_cell_call(cell, *args, **kwargs)
            grad = probes._grad
            if grad is not None:
                probes._ran_in_grad(grad, cell, args)
                return orig_cell_call(cell, *args, **kwargs)
            depth = probes._depth
            if depth > 1:  # deep inside a plain forward: the hot path, kept bare
                return orig_cell_call(cell, *args, **kwargs)
            probes._recent[id(cell)] = (weakref.ref(cell), tuple(map(ref_to, args)))
            if depth == 0:
                probes._emit("forward_started", cell, args)
            probes._depth = depth + 1
            out = failed = None
            try:
                out = orig_cell_call(cell, *args, **kwargs)
                return out
            except BaseException as exc:
                failed = exc
                raise
            finally:
                probes._depth = depth
                if depth == 0:
                    probes._emit("forward_finished", cell, args, out, failed or deferred_error(out))

        def grad_forward(fn, *args, **kwargs):
            __tracebackhide__ = True  # a failing test's traceback shows the user's frames and MindSpore's
            if not probes._listeners or probes._grad is not None:
                return orig_grad_forward(fn, *args, **kwargs)
            call = GradCall(fn, args, probes._pynative_api(), PYNATIVE, probes._user_location(),
                            nested=probes._depth > 0)
            probes._emit("grad_started", call)
            probes._grad = call
            try:
                return orig_grad_forward(fn, *args, **kwargs)
            finally:
                probes._grad = None
                probes._emit("grad_finished", call)

        def jit_call(executor, *args, **kwargs):
            __tracebackhide__ = True  # a failing test's traceback shows the user's frames and MindSpore's
            target = probes._graph_grad_target(executor) if probes._listeners else None
            if target is None:
                return orig_jit_call(executor, *args, **kwargs)
            fn, grad_op = target
            call = GradCall(fn, args, _api_name(grad_op), GRAPH, probes._user_location(),
                            nested=probes._depth > 0)
            probes._emit("grad_started", call)
            try:
                return orig_jit_call(executor, *args, **kwargs)
            finally:
                probes._emit("grad_finished", call)

        self._cell_cls.__call__ = cell_call
        setattr(self._base, "_pynative_func_grad_forward", grad_forward)
        if getattr(self._grad_func, "_pynative_func_grad_forward", None) is orig_grad_forward:
            setattr(self._grad_func, "_pynative_func_grad_forward", grad_forward)
        self._api._JitExecutor.__call__ = jit_call
        self._installed = True

    # -- helpers -------------------------------------------------------------
    def _ran_in_grad(self, call: GradCall, cell: Any, args: tuple) -> None:
        entry = call.runs.setdefault(id(cell), [cell, 0])
        entry[1] += 1
        if call.replayed is None:
            recent = self._recent.get(id(cell))
            if recent is not None and recent[0]() is cell and same_objects(recent[1], args):
                call.replayed = cell

    def _graph_grad_target(self, executor: Any) -> Optional[tuple]:
        """(differentiated fn, grad op) when the jit function is a grad's after_grad closure."""
        func = getattr(executor, "fn", None)
        if not is_after_grad(func) or self._context._get_mode() != 0:
            return None
        values = closure_values(func)
        if "fn" not in values or "grad_" not in values:
            return None
        return values["fn"], values["grad_"]

    def _pynative_api(self) -> str:
        """Which grad API called _pynative_func_grad_forward, from the grad op in its caller's frame."""
        frame: Optional[FrameType] = sys._getframe(2)
        while frame is not None and self._is_internal(frame):
            grad_op = frame.f_locals.get("self")
            if grad_op is not None and type(grad_op).__name__ in ("GradOperation", "_Grad"):
                return _api_name(grad_op)
            if frame.f_code.co_name in ("vjp", "jvp"):
                return f"ops.{frame.f_code.co_name}"
            frame = frame.f_back
        return "grad"

    def _is_internal(self, frame: Any) -> bool:
        return is_internal(frame, self._ms_dir)

    def _user_location(self) -> str:
        return user_location(self._ms_dir)


def is_after_grad(fn: Any) -> bool:
    """The closure ms.grad, ms.value_and_grad and GradOperation return (jitted in GRAPH_MODE)."""
    return getattr(getattr(fn, "__code__", None), "co_name", None) == "after_grad"


def closure_values(fn: Any) -> dict:
    """A function's free variables by name; cells not filled yet are left out."""
    code = getattr(fn, "__code__", None)
    values = {}
    for name, cell in zip(getattr(code, "co_freevars", ()), getattr(fn, "__closure__", None) or ()):
        try:
            values[name] = cell.cell_contents
        except ValueError:
            continue
    return values


def is_internal(frame: Any, ms_dir: str) -> bool:
    filename = frame.f_code.co_filename
    return filename.startswith(ms_dir) or filename.startswith(_OWN_DIR)


def user_location(ms_dir: str) -> str:
    """``file.py:12`` of the innermost caller outside MindSpore and this plugin."""
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and is_internal(frame, ms_dir):
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{os.path.relpath(frame.f_code.co_filename)}:{frame.f_lineno}"


def cell_path(root: Any, target: Any) -> Optional[str]:
    """The attribute path of ``target`` inside ``root`` ('' for root itself), or None."""
    if root is target:
        return ""
    cells_and_names: Optional[Callable] = getattr(root, "cells_and_names", None)
    if cells_and_names is None:
        return None
    for name, cell in cells_and_names():
        if cell is target:
            return name
    return None
