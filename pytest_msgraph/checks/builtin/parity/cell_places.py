"""A sub-cell found by an experiment, named as the user declared it (shared by ``nonfinite`` and ``backward``).

The experiments walk the cells a train-step or grad call runs, wrappers included: the
path ``_backbone.neck.rnn`` is, in the user's words, ``neck`` (nn.WithLossCell's and amp's
private attributes dropped, and a cell inside one of MindSpore's own cells, the ``rnn``
inside an ``nn.LSTM``, named by the outermost of them). Never a file in MindSpore's package.
"""
from __future__ import annotations

import inspect
import os
from typing import Any

from ....core.graph_code import construct_location


def public(path: str) -> str:
    """A sub-cell's path without the private attributes of the wrappers around the user's network."""
    parts = path.split(".")
    while len(parts) > 1 and parts[0].startswith("_"):
        parts.pop(0)
    return ".".join(parts)


def mindspores(ms: Any, cell: Any) -> bool:
    """Whether ``cell``'s class is defined inside MindSpore's own package."""
    owned = os.path.dirname(os.path.abspath(ms.__file__)) + os.sep
    try:
        return os.path.abspath(inspect.getsourcefile(type(cell)) or "").startswith(owned)
    except TypeError:  # a builtin class: not a Cell of the user's
        return False


def user_place(ms: Any, path: str, cell: Any, cells: list) -> tuple[str, Any]:
    """(public path, cell) of ``cell`` at ``path`` in ``cells``, lifted out of MindSpore's own cells."""
    path = public(path)
    by_path = {public(name): sub for root in cells for name, sub in root.cells_and_names()}
    while "." in path and mindspores(ms, cell) and mindspores(ms, by_path.get(path.rpartition(".")[0], object())):
        path = path.rpartition(".")[0]
        cell = by_path[path]
    return path, cell


def construct_of(ms: Any, cell: Any) -> str:
    """Where ``cell``'s construct is, or "MindSpore's module.Class" for one of MindSpore's own cells."""
    if mindspores(ms, cell):
        return f"MindSpore's {type(cell).__module__}.{type(cell).__name__}"
    return construct_location(type(cell))
