"""The probes' hub: MindSpore's Python-level calls turned into events the checks listen to.

The patches (``cell_calls``, ``grad_calls``) are installed once per process, the
first time a check listens, and stay bare while none does. Each event goes to
every listener that defines a method of its name; a listener that raises never
breaks the user's call (its ``probe_failed`` keeps the error for after the test).
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator, Optional

from .. import internals
from ..internals import ProbeUnavailable
from . import cell_calls, grad_calls
from .deferred_reads import DeferredReads
from .grad_calls import GRAPH, PYNATIVE, GradCall
from .locations import user_location
from .names import ParameterNames

__all__ = ["Probes", "ProbeUnavailable"]


class Probes:
    def __init__(self, ms: Any) -> None:
        self.listeners: list = []
        self.depth = 0  # nesting of plain Cell calls
        self.grad: Optional[GradCall] = None  # the PYNATIVE_MODE grad whose forward is running
        self.last_grad: Optional[GradCall] = None  # the PYNATIVE_MODE grad whose backward comes next
        # id(cell) -> (weak cell, weak args) of the last plain call at depth 0 or 1: the
        # network a test calls, or the network a train-step cell calls. Weak references,
        # so the probes keep no activation alive and a reused id cannot match.
        self.recent: dict = {}
        self.ms_dir = os.path.dirname(os.path.abspath(ms.__file__))
        # Where each lives on this release: internals.py (ProbeUnavailable when missing).
        self._context = internals.resolve("context")
        self.cell_cls = ms.nn.Cell
        self.orig_cell_call = self.cell_cls.__call__
        self.orig_cell_compile = self.cell_cls.compile
        self.grad_style, self.base, self.grad_executor = internals.pynative_grads()
        self.grad_func = internals.resolve("grad_func")
        internals.verify_graph_grad_closure()
        self.api = internals.resolve("graph_executors")
        self._installed = False
        from ..graph_inspection import GraphCache

        self.graphs = GraphCache()  # compiled-graph facts, read once per graph by any check
        self.reads = DeferredReads(ms.Tensor, self.ms_dir)  # values the checks read when the test reads anyway
        self.names = ParameterNames()  # parameter names, read once per list in a test

    def is_graph(self) -> bool:
        """GRAPH_MODE now, read without get_context (which costs ~0.1 ms a call)."""
        return self._context._get_mode() == 0

    def mode(self) -> str:
        return GRAPH if self.is_graph() else PYNATIVE

    def user_location(self) -> str:
        return user_location(self.ms_dir)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No listener hears the calls made inside (a fixture's own comparison runs)."""
        saved = (self.listeners, self.depth, self.grad, self.last_grad)
        self.listeners, self.depth, self.grad, self.last_grad = [], 0, None, None
        try:
            yield
        finally:
            self.listeners, self.depth, self.grad, self.last_grad = saved

    def listen(self, listener: Any) -> None:
        if not self._installed:
            cell_calls.install(self)
            grad_calls.install(self)
            self._installed = True
        if listener not in self.listeners:
            self.listeners.append(listener)

    def stop(self, listener: Any) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)
        if not self.listeners:
            self.depth, self.grad, self.last_grad = 0, None, None
            self.recent.clear()

    def forget_calls(self) -> None:
        """Forget the plain calls made so far: a test's call phase starts afresh, whoever listened before it
        (``--ms-both-modes=all`` listens from setup on; a fixture's forward is not the test's)."""
        self.recent.clear()
        self.last_grad = None
        self.names.clear()

    def emit(self, event: str, *args: Any) -> None:
        for listener in list(self.listeners):
            handler = getattr(listener, event, None)
            if handler is None:
                continue
            try:
                handler(*args)
            except Exception as exc:  # a check's bug must never break the user's test
                listener.probe_failed(event, exc)
