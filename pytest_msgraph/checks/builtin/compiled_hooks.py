"""Check ``compiled_hooks``: a hook with Python side effects on a cell that GRAPH_MODE compiles.

A forward or backward hook registered on a sub-cell (``register_forward_hook``,
``register_backward_hook``: ported code captures features, clips and logs with them) is
compiled into the graph in GRAPH_MODE: its tensor result applies in both modes, but its
Python never runs there (measured on 2.7.2 and 2.10: a hook that appends the output to
a list leaves the list empty). At the first GRAPH_MODE call of a cell in a test, the
hooks on every cell of its tree are read; one whose source has Python side effects
(appends, counters, prints, logs; through the user's helpers too) is the finding, and so is any hook on a direct member
of an ``nn.SequentialCell``: GRAPH_MODE skips those whole, tensor result included
(measured on 2.7.2 and 2.10: a hook returning ``output * 2`` doubles the output in
PYNATIVE_MODE only). It is also published as a fact:
mode_parity names it as the cause when the variants end differently.
"""
from __future__ import annotations

import inspect
import os
from typing import Any

from ...core.hook_effects import side_effects
from ...mindspore_side.internals import ProbeUnavailable
from ...mindspore_side.probes import GRAPH
from ..facts import CompiledHook
from ..findings import TestRun
from .probed import ProbedCheck

FIX = ("Fix: return what the hook captures from construct (return out, feature), or run the capturing pass in "
       "PYNATIVE_MODE (ms.set_context(mode=ms.PYNATIVE_MODE) around it); a hook that only changes the tensor it "
       "returns is fine in both modes.")


SKIPPED = ("is skipped with its tensor result too: GRAPH_MODE runs a SequentialCell's members without their hooks "
           "(measured on 2.7.2 and 2.10)")


def sequential_members(root: Any, sequential: Any) -> set[int]:
    """ids of the cells that are direct members of an ``nn.SequentialCell`` in ``root``'s tree."""
    return {id(member) for _, cell in root.cells_and_names() if isinstance(cell, sequential) for member in cell.cells()}


def hooks_on(root: Any) -> list[tuple[str, Any, str, Any]]:
    """(path, cell, kind, hook function) of every hook registered on the cells of ``root``'s tree.

    A cell keeps its hooks in dicts whose attribute names say hook (``_lazy_forward_hook``, ...; the same on 2.7.2
    and 2.10): read generically, so a release that renames one still shows it."""
    found = []
    for path, cell in root.cells_and_names():
        for attribute, value in vars(cell).items():
            if "hook" in attribute and isinstance(value, dict):
                kind = attribute.strip("_").replace("lazy_", "").replace("cell_", "")
                found += [(path, cell, kind, hook) for hook in value.values() if callable(hook)]
    return found


def _probe_hook(cell: Any, inputs: Any, output: Any) -> None:
    """Registered on a bare cell at session start, to find where this release keeps hooks."""


def _name(hook: Any) -> str:
    """A hook's name as its code says it: ``Extractor.hook`` for a bound method, the function's name otherwise."""
    owner = getattr(hook, "__self__", None)
    name = getattr(hook, "__name__", "?")
    return f"{type(owner).__name__}.{name}" if owner is not None else name


def _where(hook: Any) -> str:
    try:
        return f"{os.path.relpath(inspect.getsourcefile(hook) or '?')}:{inspect.getsourcelines(hook)[1]}"
    except (OSError, TypeError):
        return "?"


class CompiledHooksCheck(ProbedCheck):
    name = "compiled_hooks"
    description = "a hook with Python side effects on a cell GRAPH_MODE compiles: they happen in PYNATIVE_MODE only"
    default_policy = "warn"
    unit = "GRAPH_MODE cells"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        # Where this release keeps a cell's hooks: a probe hook on a bare cell must be found where hooks_on looks,
        # else the check is inactive (said in the summary), never silently blind.
        probe = mindspore.nn.Cell()
        handle = probe.register_forward_hook(_probe_hook)
        try:
            found = [hook for _, _, _, hook in hooks_on(probe)]
        finally:
            handle.remove()
        if _probe_hook not in found:
            raise ProbeUnavailable(f"MindSpore {mindspore.__version__} keeps a cell's hooks where this check does not "
                                   "look (no attribute whose name says hook holds a registered hook)")

    def reset(self) -> None:
        self.seen: set = set()
        self.found: dict = {}

    def forward_started(self, cell: Any, args: tuple) -> None:
        if self.probes.mode() != GRAPH or id(cell) in self.seen:
            return
        self.seen.add(id(cell))
        hooks = hooks_on(cell)
        members = sequential_members(cell, self.ms.nn.SequentialCell) if hooks else set()
        for path, sub, kind, hook in hooks:
            key = (id(sub), id(hook))
            if key in self.found:
                continue
            effects = side_effects(hook) + ([SKIPPED] if id(sub) in members else [])
            if effects:
                fact = CompiledHook(type(sub).__name__, path, kind, _name(hook), _where(hook),
                                    tuple(effects))
                self.found[key] = fact
                self.run.publish(fact)  # mode_parity names it as the cause of a pair that ends differently

    def report(self, run: TestRun) -> None:
        run.count(len(self.seen))
        for fact in self.found.values():
            what = ("GRAPH_MODE compiles the hook into the graph, so its tensor result applies but its Python never "
                    "runs there" if SKIPPED not in fact.effects else "what it does happens in PYNATIVE_MODE only")
            run.emit(f"{fact.words()}: {what}; PYNATIVE_MODE runs it at every call.", fix=FIX, cell=fact.cell,
                     path=fact.path, hook=fact.hook, kind=fact.kind, location=fact.location,
                     effects=list(fact.effects))

