"""Check ``stale_attribute``: a Python setting ``construct`` reads, changed after GRAPH_MODE compiled it.

A compiled graph keeps the value a ``self.`` attribute had when it was compiled:
``self.freeze`` set to True after the first call changes nothing in GRAPH_MODE, while
PYNATIVE_MODE reads it on every call (the fine-tuning "freeze the backbone after step
1"). Measured on MindSpore 2.10: bool, int, float and str attributes all freeze, in a
Cell's graph and in a grad function's graph built once; a grad function built anew
after the change compiles again and sees the new value.

After each top-level GRAPH_MODE call of a Cell, or of a grad function, the scalar
attributes the graph code of every cell inside reads (and never writes: a counter it
bumps through the Python fallback is no setting) are compared with those at the first
call of the same compiled graph, or at its explicit ``compile()``. A difference with no
new graph is the finding. It needs no mode pair: a GRAPH_MODE-only suite has the bug too.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from ...core.graph_code import attributes_read, construct_location
from ...core.signatures import signature
from ...mindspore_side.graph_inspection import graph_id
from ...mindspore_side.probes import GRAPH, GradCall, cells_behind
from ..facts import FrozenAttribute
from ..findings import TestRun
from .probed import ProbedCheck

_SCALARS = (bool, int, float, str, type(None))
_MISSING = object()
FIX = ("Fix: pass it to construct as a Tensor (or ms.mutable(value)) so that the graph reads it at each call, or "
       "set it before the first call and build the cell, or the grad function, again.")


def settings(roots: list) -> dict[tuple[str, type, str], Any]:
    """{(path, class, attribute): value} of the scalar attributes the graph code of every cell reads."""
    found: dict[tuple[str, type, str], Any] = {}
    for root in roots:
        for path, cell in root.cells_and_names():
            for attr in attributes_read(type(cell)):
                value = vars(cell).get(attr, _MISSING)
                if value is not _MISSING and isinstance(value, _SCALARS):
                    found[(path, type(cell), attr)] = value
    return found


class StaleAttributeCheck(ProbedCheck):
    name = "stale_attribute"
    description = "a Python attribute construct reads changed after GRAPH_MODE compiled it; the graph keeps the old"
    default_policy = "error"
    unit = "GRAPH_MODE calls"

    def watches(self, run: TestRun) -> bool:
        return True  # GRAPH_MODE calls only, decided per call: a test may switch modes

    def reset(self) -> None:
        self.calls = 0
        self.compiled: dict = {}  # graph key -> (settings at its first call, where, what)
        self.pending: dict = {}  # id(cell or call) -> settings before the call
        self.found: dict = {}  # (what, attribute) -> finding data

    def forward_started(self, cell: Any, args: tuple) -> None:
        if self.probes.mode() == GRAPH:
            self.pending[id(cell)] = settings([cell])

    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        before = self.pending.pop(id(cell), None)
        if before is not None and failed is None:
            self._used(("cell", graph_id(cell)), before, type(cell).__name__)

    def compile_started(self, cell: Any, args: tuple) -> None:
        self.pending[("compile", id(cell))] = settings([cell])

    def compile_finished(self, cell: Any, args: tuple) -> None:
        """An explicit ``net.compile(x)``: what the graph froze is the attributes at the compile, not at the first
        call (a switch flipped in between is frozen off; measured on 2.7.2 and 2.10)."""
        before = self.pending.pop(("compile", id(cell)), None)
        if before is not None:
            self.compiled.setdefault(("cell", graph_id(cell)), (before, self.probes.user_location(),
                                                                type(cell).__name__))

    def grad_started(self, call: GradCall) -> None:
        if call.mode == GRAPH and not call.nested:
            self.pending[id(call)] = settings(cells_behind(call.fn))

    def grad_finished(self, call: GradCall) -> None:
        before = self.pending.pop(id(call), None)
        if before is not None:
            # A grad function compiles one graph per argument signature, like a jit function; one built
            # anew compiles anew (and is kept in the key, so that no later one takes its id).
            key = ("grad", call.graph_fn, json.dumps(signature(list(call.args), keep_values=True)))
            self._used(key, before, f"the {call.api} of {getattr(call.fn, '__name__', type(call.fn).__name__)}")

    def _used(self, key: tuple, now: dict, what: str) -> None:
        self.calls += 1
        first = self.compiled.get(key)
        if first is None:
            self.compiled[key] = (now, self.probes.user_location(), what)
            return
        compiled_with, where, _ = first
        for setting, old in compiled_with.items():
            new = now.get(setting, _MISSING)
            if new is not _MISSING and new != old and (what, setting) not in self.found:
                self.found[(what, setting)] = (what, old, new, where)
                path, owner, attr = setting
                # mode_parity names it as the cause, and its construct as the place where the modes part.
                self.run.publish(FrozenAttribute(owner.__name__, attr, path, old, new,
                                                 construct=construct_location(owner)))

    def report(self, run: TestRun) -> None:
        run.count(self.calls)
        for (_, (path, cls, attr)), (what, old, new, where) in self.found.items():
            owner = cls.__name__
            inside = f" (at '{path}')" if path else ""
            run.emit(f"`{owner}.{attr}`{inside} changed {old!r} → {new!r} after GRAPH_MODE compiled {what} at "
                     f"{where}; the graph still uses {old!r}, while PYNATIVE_MODE reads {new!r}.",
                     fix=FIX, cell=owner, attribute=attr, path=path, compiled_with=old, now=new, compiled_at=where)
