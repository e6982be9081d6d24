"""What one check learns that another needs, as data (pure).

A check publishes a fact on the test's ``TestRun`` the moment it learns it (during the
call, from a probe event), so a check that reads it when the call ends finds it there,
whatever order the checks were registered in. The reader words the fact itself: no
check ever reads another check's message, so rewording a message changes no verdict.
"""
from __future__ import annotations

import dataclasses
from typing import Any

GRAPH_MODE = "GRAPH_MODE"


@dataclasses.dataclass(frozen=True)
class FrozenAttribute:
    """stale_attribute: GRAPH_MODE compiled a graph with ``cell.attribute`` at one value, which changed afterwards."""

    cell: str  # the class that owns the attribute
    attribute: str
    path: str  # where that cell sits below the called one ('' for the called cell itself)
    compiled_with: Any
    now: Any
    mode: str = GRAPH_MODE  # the side that keeps the old value
    construct: str = ""  # file.py:12 of the owning class's construct, where the graph reads the attribute

    def words(self) -> str:
        inside = f" (at '{self.path}')" if self.path else ""
        return f"`{self.cell}.{self.attribute}`{inside} changed {self.compiled_with!r} → {self.now!r}"


@dataclasses.dataclass(frozen=True)
class InputWrite:
    """input_mutation: a Cell wrote into a tensor (or a list of tensors) its caller passed, in one mode."""

    cell: str  # the Cell class whose call wrote
    position: int  # the argument's position in construct
    argument: str  # as shown: ``label``, or ``features[0]`` for a list's tensor
    mode: str  # the side that wrote
    written_at: str = ""  # file.py:12 of the statement in construct that writes, when its source says
    passed: str = ""  # what the caller passed there, as its call's line writes it (``label``), when it says

    def words(self) -> str:
        at = f" at {self.written_at}" if self.written_at else ""
        return f"{self.cell} wrote into its argument {self.position} ('{self.argument}'){at}"


@dataclasses.dataclass(frozen=True)
class CompiledHook:
    """compiled_hooks: a hook with Python side effects on a cell GRAPH_MODE compiled, whose Python never ran there."""

    cell: str  # the class of the cell the hook is on
    path: str  # where that cell sits below the called one ('' for the called cell itself)
    kind: str  # forward_hook, forward_pre_hook, backward_hook, ...
    hook: str  # the hook function's name
    location: str  # file.py:12 of the hook's source
    effects: tuple[str, ...]  # what it does in Python: "calls feats.append()", "prints"

    def words(self) -> str:
        on = f"'{self.path}' ({self.cell})" if self.path else self.cell
        return (f"the {self.kind.replace('_', ' ')} `{self.hook}` ({self.location}) on {on}, which "
                f"{', '.join(self.effects)}")
