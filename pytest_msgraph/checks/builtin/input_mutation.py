"""Check ``input_mutation``: a Cell that writes into its caller's tensor, in one mode only.

Eagerly an op may return its input itself: ``ops.cast`` to the dtype a tensor has
already returns that very tensor. A construct that then writes into the result
(``target = ops.cast(label, ms.int32); target[~mask] = -100``, mindocr's VisionLANLoss)
rewrites the caller's ``label`` in PYNATIVE_MODE, while GRAPH_MODE leaves it alone:
the loss is the same in both modes, so no output comparison sees it, but the next use
of ``label`` differs. Measured on MindSpore 2.10 CPU.

The other direction: ``x += 1`` in construct writes the result back into the caller's
tensor in GRAPH_MODE only (PYNATIVE_MODE rebinds the name). And a construct that
assigns into the caller's list of feature maps (``features[i] = conv(features[i])``, an
FPN neck) leaves the caller's list changed in PYNATIVE_MODE only.

Before and after each top-level Cell call, in both modes, every Tensor argument that is
not a Parameter, and every Tensor in a list or tuple argument, gets a fingerprint (its
shape, dtype and the hash of its values, or of 65,536 evenly spaced values of a larger
one; a list's length and its elements' identities too); a changed fingerprint is the
finding. Parameters an optimizer or ``Assign`` updates are never looked at, nor are the
gradients passed to one of MindSpore's own optimizers.
"""
from __future__ import annotations

import importlib
import inspect
import os
from typing import Any, Optional

from ...core.tensors import is_tensor
from ...mindspore_side.probes import GRAPH, PYNATIVE
from ..facts import InputWrite
from ..findings import TestRun
from .argument_writes import passed_at, written_by, written_where
from .probed import ProbedCheck

WHY = {
    PYNATIVE: "Only PYNATIVE_MODE does this (an op may return its input itself, ops.cast to the same dtype does; "
              "an item write into a list changes the caller's list); GRAPH_MODE leaves the caller's data alone, so "
              "the two modes leave different data behind.",
    GRAPH: "Only GRAPH_MODE does this (x += ... on an input writes the result back into the caller's tensor); "
           "PYNATIVE_MODE rebinds the name and leaves the caller's tensor alone, so the two modes leave different "
           "data behind.",
}
FIX = {
    PYNATIVE: "Fix: copy before writing, e.g. target = ops.cast(label, ms.int32).copy(), or build a new list.",
    GRAPH: "Fix: bind the result to a new name (y = x + 1) instead of x += 1.",
}


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
    written = written_by(type(cell).construct, type(cell))
    chosen = next((p for p in positions if _name(names, p) in written), positions[0])
    return chosen, [p for p in positions if p != chosen]


def _at(cell: Any, argument: str) -> Optional[tuple[str, int]]:
    """(file, line) of the statement in construct that writes into ``argument``, when its source says."""
    return written_where(type(cell).construct, type(cell)).get(argument)


def _shown(at: Optional[tuple[str, int]]) -> str:
    return f"{os.path.relpath(at[0])}:{at[1]}" if at else ""


class InputMutationCheck(ProbedCheck):
    name = "input_mutation"
    description = "a Cell wrote into a Tensor (or list of Tensors) its caller passed in: the modes leave different data"
    default_policy = "warn"
    unit = "cell calls"

    def session_started(self, mindspore: Any) -> None:
        super().session_started(mindspore)
        self._parameter = mindspore.Parameter
        self._optimizer = mindspore.nn.Optimizer
        self.math = importlib.import_module("pytest_msgraph.checks.builtin.parity.arithmetic")

    def reset(self) -> None:
        self.calls = 0
        self.before: dict = {}  # id(cell) -> ({(position, index): fingerprint}, mode, where)
        self.found: dict = {}  # (cell class, position, index, mode) -> finding data

    def _tensor(self, value: Any) -> bool:
        return is_tensor(value) and not isinstance(value, self._parameter)

    def _fingerprints(self, args: tuple) -> dict:
        """(position, None) for a Tensor argument, (position, i) for the i-th Tensor of a list or tuple
        argument, and (position, "items") for which objects the list holds (an item replaced)."""
        prints: dict = {}
        for position, arg in enumerate(args):
            if self._tensor(arg):
                prints[(position, None)] = self.math.fingerprint(arg.asnumpy())
            elif isinstance(arg, (list, tuple)) and any(self._tensor(item) for item in arg):
                prints[(position, "items")] = tuple(id(item) for item in arg)
                for index, item in enumerate(arg):
                    if self._tensor(item):
                        prints[(position, index)] = self.math.fingerprint(item.asnumpy())
        return prints

    def forward_started(self, cell: Any, args: tuple) -> None:
        if isinstance(cell, self._optimizer) and type(cell).construct.__module__.startswith("mindspore."):
            return  # MindSpore's own optimizer: it makes new gradients, never writes into them (and reading its
            # inputs here would wait for the backward to finish before the optimizer's ops could be queued)
        self.before[id(cell)] = (self._fingerprints(args), self.probes.mode(), self.probes.user_location())

    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        before = self.before.pop(id(cell), None)
        if before is None or failed is not None:
            return
        self.calls += 1
        prints, mode, where = before
        now = self._fingerprints(args)
        changed = [key for key, print_before in prints.items() if now.get(key) != print_before]
        if not changed:
            return
        names = _argument_names(cell)  # the construct's signature, read only for a write (~0.1 ms a call)
        tensors = [position for position, index in changed if index is None]
        for position, aliases in _by_tensor(tensors, args).items():  # one tensor passed as several arguments: once
            position, also = _written_one(cell, names, [position, *aliases])
            name = _name(names, position)
            also_names = [_name(names, p) for p in also]
            self._found((type(cell).__name__, position, None, mode), (name, name, where, also_names, _at(cell, name)))
        for position, index in changed:
            if index is not None:
                name = _name(names, position)
                shown = name if index == "items" else f"{name}[{index}]"
                self._found((type(cell).__name__, position, "list", mode), (name, shown, where, [], _at(cell, name)))

    def _found(self, key: tuple, data: tuple) -> None:
        """A write, once per cell, argument and mode; published at once for mode_parity, which names it as a cause."""
        if key not in self.found:
            self.found[key] = data
            cell, position, _, mode = key
            self.run.publish(InputWrite(cell, position, data[1], mode, written_at=_shown(data[4]),
                                        passed=passed_at(data[2], position)))

    def report(self, run: TestRun) -> None:
        run.count(self.calls)
        for (cell, position, kind, mode), (name, shown, where, also, at) in self.found.items():
            what = "a Tensor" if kind is None else "a list or tuple of Tensors"
            same = f" The caller passed the same tensor as {', '.join(repr(a) for a in also)} too." if also else ""
            place = {"path": at[0], "line": at[1], "written_at": _shown(at)} if at else {}
            written = f" at {_shown(at)}" if at else ""
            run.emit(f"{cell} wrote into its argument {position} ('{shown}') in place in {mode}{written}, {what} the "
                     f"caller passed at {where}: the caller's '{name}' holds other values after the call.{same} "
                     f"{WHY[mode]}", fix=FIX[mode], cell=cell, argument=name, position=position, mode=mode,
                     location=where, aliases=also, **place)
