"""Check ``input_mutation``: a Cell that writes into its caller's tensor, in PYNATIVE_MODE only.

Eagerly an op may return its input itself: ``ops.cast`` to the dtype a tensor has
already returns that very tensor. A construct that then writes into the result
(``target = ops.cast(label, ms.int32); target[~mask] = -100``, mindocr's VisionLANLoss)
rewrites the caller's ``label`` in PYNATIVE_MODE, while GRAPH_MODE leaves it alone:
the loss is the same in both modes, so no output comparison sees it, but the next use
of ``label`` differs. Measured on MindSpore 2.10 CPU.

Before and after each top-level PYNATIVE_MODE Cell call, every Tensor argument that is
not a Parameter gets a fingerprint (its shape, dtype and the hash of its values, or of
65,536 evenly spaced values of a larger one); a changed fingerprint is the finding.
Parameters an optimizer or ``Assign`` updates are never looked at.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Optional

from ...mindspore_side.probes import PYNATIVE
from ..findings import TestRun
from .argument_writes import written_by
from .probed import ProbedCheck

WHY = ("Only PYNATIVE_MODE does this (an op may return its input itself, ops.cast to the same dtype does); "
       "GRAPH_MODE leaves the caller's tensor alone, so the two modes leave different data behind.")
FIX = "Fix: copy before writing, e.g. target = ops.cast(label, ms.int32).copy()."


def _argument_names(cell: Any) -> list[str]:
    try:
        parameters = list(inspect.signature(type(cell).construct).parameters)[1:]
    except (TypeError, ValueError):
        return []
    return parameters


def _name(names: list[str], position: int) -> str:
    return names[position] if position < len(names) else f"argument {position}"


def _by_tensor(positions: list[int], args: tuple) -> dict[int, list[int]]:
    """The first position of each changed tensor object, with the later positions it was passed at too."""
    first: dict[int, int] = {}
    grouped: dict[int, list[int]] = {}
    for position in positions:
        owner = first.setdefault(id(args[position]), position)
        grouped.setdefault(owner, []).extend([] if owner == position else [position])
    return grouped


def _written_one(cell: Any, names: list[str], positions: list[int]) -> tuple[int, list[int]]:
    """Of the positions one tensor was passed at, the one construct writes through (its source says), and the rest."""
    if len(positions) == 1:
        return positions[0], []
    written = written_by(type(cell).construct)
    chosen = next((p for p in positions if _name(names, p) in written), positions[0])
    return chosen, [p for p in positions if p != chosen]


class InputMutationCheck(ProbedCheck):
    name = "input_mutation"
    description = "a Cell wrote into a Tensor its caller passed in (PYNATIVE_MODE only: the modes leave different data)"
    default_policy = "warn"
    unit = "PYNATIVE_MODE cell calls"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        self._parameter = mindspore.Parameter
        self.math = importlib.import_module("pytest_msgraph.checks.builtin.parity.arithmetic")

    def reset(self) -> None:
        self.calls = 0
        self.before: dict = {}  # id(cell) -> [(position, fingerprint)]
        self.found: dict = {}  # (cell class, position) -> finding data

    def _fingerprints(self, args: tuple) -> list:
        return [(i, self.math.fingerprint(arg.asnumpy())) for i, arg in enumerate(args)
                if hasattr(arg, "asnumpy") and hasattr(arg, "dtype") and not isinstance(arg, self._parameter)]

    def forward_started(self, cell: Any, args: tuple) -> None:
        if self.probes.mode() == PYNATIVE:
            self.before[id(cell)] = (self._fingerprints(args), self.probes.user_location())

    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        before = self.before.pop(id(cell), None)
        if before is None or failed is not None:
            return
        self.calls += 1
        fingerprints, where = before
        now = dict(self._fingerprints(args))
        names = _argument_names(cell)
        changed = [p for p, print_before in fingerprints if now.get(p, print_before) != print_before]
        for position, aliases in _by_tensor(changed, args).items():  # one tensor passed as several arguments: once
            position, also = _written_one(cell, names, [position, *aliases])
            name = _name(names, position)
            self.found.setdefault((type(cell).__name__, position), (name, where, [_name(names, p) for p in also]))

    def report(self, run: TestRun) -> None:
        run.count(self.calls)
        for (cell, position), (name, where, also) in self.found.items():
            same = f" The caller passed the same tensor as {', '.join(repr(a) for a in also)} too." if also else ""
            run.emit(f"{cell} wrote into its argument {position} ('{name}') in place, a Tensor the caller passed at "
                     f"{where}: the caller's '{name}' holds other values after the call.{same} {WHY}",
                     fix=FIX, cell=cell, argument=name, position=position, location=where, aliases=also)
