"""Watch every graph a test's calls need, compiled now or taken from the cache, with how long and why.

Two private entry points are wrapped, once per process, while a log listens:

* ``_CellGraphExecutor.compile(obj, *args, phase=...)``: a Cell's construct in
  GRAPH_MODE. It returns ``(phase, compiled_now)``; ``compiled_now`` is False on a
  cache hit.
* ``_JitExecutor.compile(method_name, *args, phase=...)``: ``@ms.jit`` functions (in
  both modes) and, in GRAPH_MODE, the ``after_grad`` closures behind ``ms.grad``,
  ``ms.value_and_grad`` and ``GradOperation``. It returns the phase; a new graph adds
  its phase to ``api.ms_compile_cache``.

MindSpore's jit cache is process-wide: a test whose graph an earlier test compiled
compiles nothing. So that a verdict (``ms_max_compiles``, ``recompile``) never depends
on the order tests run in, a log counts every graph the test's own calls needed: new
compiles, and the first cache hit, in this test, on a graph compiled before it
(``"cached": true``, 0 seconds). Later hits on a graph cost two clock reads and a set
lookup; the signature and the grouping are worked out once per graph per test.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import os
import time
from typing import Any, Callable, Iterator, Optional

from ...core.signatures import signature
from .. import internals
from ..cell_config import base_attributes, digest
from .locations import closure_values, is_after_grad, user_location


class CompileLog:
    """The graphs one test's call phase needed, in order."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.phases: set = set()  # the graphs (phases) already in this log

    @property
    def seconds(self) -> float:
        return sum(event["seconds"] for event in self.events)


class CompileProbe:
    def __init__(self, ms: Any) -> None:
        self._api = internals.resolve("graph_executors")  # ProbeUnavailable when this release lacks them
        self._cell_compile = self._api._CellGraphExecutor.compile
        self._jit_compile = self._api._JitExecutor.compile
        self._cache = self._api.ms_compile_cache
        self._ms_dir = os.path.dirname(os.path.abspath(ms.__file__))
        self._get_context = ms.get_context
        self._base = base_attributes(ms)
        self._logs: list[CompileLog] = []
        self._hidden = 0  # > 0 while a fixture compiles its own graphs
        self._installed = False

    def start(self) -> CompileLog:
        self._install()
        log = CompileLog()
        self._logs.append(log)
        return log

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The compiles made inside are a fixture's, not the test's: logged as ``hidden``, counted by no budget."""
        self._hidden += 1
        try:
            yield
        finally:
            self._hidden -= 1

    def stop(self, log: CompileLog) -> None:
        if log in self._logs:
            self._logs.remove(log)

    def _install(self) -> None:
        if self._installed:
            return
        probe, cell_compile, jit_compile = self, self._cell_compile, self._jit_compile

        @functools.wraps(cell_compile)
        def watched_cell_compile(executor, obj, *args, **kwargs):
            __tracebackhide__ = True
            if not probe._logs:
                return cell_compile(executor, obj, *args, **kwargs)
            start = time.perf_counter()
            result = cell_compile(executor, obj, *args, **kwargs)
            if isinstance(result, tuple) and len(result) == 2:
                probe._needed(result[0], bool(result[1]), time.perf_counter() - start,
                              lambda seconds: probe._event("cell", obj, None, args, seconds))
            return result

        @functools.wraps(jit_compile)
        def watched_jit_compile(executor, method_name, *args, **kwargs):
            __tracebackhide__ = True
            if not probe._logs:
                return jit_compile(executor, method_name, *args, **kwargs)
            known = len(probe._cache)
            start = time.perf_counter()
            phase = jit_compile(executor, method_name, *args, **kwargs)
            probe._needed(phase, len(probe._cache) > known, time.perf_counter() - start,
                          lambda seconds: probe._jit_event(executor, args, seconds))
            return phase

        self._api._CellGraphExecutor.compile = watched_cell_compile
        self._api._JitExecutor.compile = watched_jit_compile
        self._installed = True

    def _needed(self, phase: Any, compiled: bool, seconds: float, make_event: Callable[[float], dict]) -> None:
        """A graph a call needed: recorded when compiled now, or on its first use in a log's test."""
        logs = [log for log in self._logs if compiled or phase not in log.phases]
        if not logs:
            return  # a graph this test used already: the hot path
        event = make_event(seconds if compiled else 0.0)
        if not compiled:
            event["cached"] = True
        if self._hidden:
            event["hidden"] = True
        for log in logs:
            log.phases.add(phase)
            log.events.append(event)

    def _jit_event(self, executor: Any, args: tuple, seconds: float) -> dict:
        fn = getattr(executor, "fn", None)
        if is_after_grad(fn):
            return self._event("grad", closure_values(fn).get("fn"), fn, args, seconds)
        return self._event("jit", getattr(executor, "obj", None), fn, args, seconds)

    def _event(self, kind: str, obj: Any, fn: Optional[Any], args: tuple, seconds: float) -> dict:
        is_cell = hasattr(obj, "construct") and hasattr(obj, "get_parameters")
        if kind == "cell":
            what, instance = type(obj).__name__, f"cell:{id(obj)}:{getattr(obj, 'create_time', '')}"
        elif kind == "grad":
            what = f"grad of {type(obj).__name__ if is_cell else getattr(obj, '__qualname__', '?')}"
            instance = f"fn:{id(fn)}"  # a new after_grad closure for each ms.grad(...) call
        else:
            name = getattr(fn, "__qualname__", "?")
            what = f"{type(obj).__name__}.{getattr(fn, '__name__', '?')}" if is_cell else name
            instance = f"fn:{id(fn)}:{id(obj)}"
        # Cells of one class built the same way are one group; a grad is grouped by the network it
        # differentiates; a jit function by itself.
        if is_cell:
            group = f"{kind}:{type(obj).__module__}.{type(obj).__qualname__}:{digest(obj, self._base)}"
        elif kind == "grad":
            group = f"grad:{id(obj)}"
        else:
            group = f"jit:{_definition(fn)}"
        # The context's mode at the compile: an explicit Cell.compile() in PYNATIVE_MODE compiles a graph without
        # changing it, and the next call runs eagerly (measured on 2.7.2 and 2.10).
        mode = "GRAPH_MODE" if self._get_context("mode") == 0 else "PYNATIVE_MODE"
        return {"kind": kind, "what": what, "group": group, "instance": instance, "mode": mode,
                "built": "cell" if is_cell else "function",
                "signature": signature(list(args), keep_values=True), "seconds": round(seconds, 6),
                "location": user_location(self._ms_dir)}


def _definition(fn: Any) -> str:
    """Where a jit function was written: one ``def`` or ``lambda`` is one group, however many
    function objects (closures, re-applied ``ms.jit``) it was turned into, and three lambdas
    that share a qualname are three groups."""
    code = getattr(inspect.unwrap(fn), "__code__", None) if fn is not None else None
    if code is None:
        return f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', '?')}"
    # id(code) separates two lambdas on one line; the code object lives as long as its module.
    return f"{code.co_filename}:{code.co_firstlineno}:{code.co_name}:{id(code)}"
