"""What a mode_parity variant records of a call: its outputs flattened, and the parameters behind it.

Weak references only, kept in this process: a parameter object the eager variant also
used (a shared fixture) carries its state into the graph variant, so what depends on it
is not compared.
"""
from __future__ import annotations

import weakref
from typing import Any

from ....core.graph_code import methods_called
from .pairs import SEMANTICS


def refs(parameters: Any) -> list:
    """Weak references, kept in this process only: a parameter object the eager variant also used (a
    shared fixture) carries its state (trained weights, BatchNorm statistics) into the graph variant,
    so what depends on it is not compared."""
    return [weakref.ref(p) for p in parameters]


def shares_parameters(refs: list, other: list) -> bool:
    alive = {id(p) for p in (r() for r in other) if p is not None}
    return any((p := r()) is not None and id(p) in alive for r in refs)


def flatten(value: Any, path: str, out: list) -> None:
    if hasattr(value, "asnumpy") and hasattr(value, "dtype"):
        out.append((path or "output", value))
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            flatten(item, f"{path}[{i}]", out)
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            flatten(value[key], f"{path}[{key!r}]", out)
    else:
        out.append((path or "output", value))


def semantics(cell: Any) -> list[str]:
    """The mode-dependent Tensor methods the graph code of the cell's tree calls."""
    classes = {type(c) for _, c in cell.cells_and_names()}
    return sorted({api for cls in classes for api in methods_called(cls) if api in SEMANTICS})
