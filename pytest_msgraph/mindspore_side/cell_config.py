"""How a Cell was built: its own scalar settings and its parameter shapes.

Two cells of one class built the same way compile the same graphs and return the
same shapes; built differently (another ``num_classes``, another width), they are
different networks. dynamic_shape and recompile both group cells by this.
"""
from __future__ import annotations

from typing import Any


def base_attributes(mindspore: Any) -> frozenset:
    """The attributes every Cell has, which say nothing about how one was built."""
    return frozenset(vars(mindspore.nn.Cell()))


def configuration(cell: Any, base: frozenset) -> list:
    settings = sorted(
        (k, v) for k, v in vars(cell).items()
        if not k.startswith("_") and k not in base and "phase" not in k  # phases are set by compiles
        and isinstance(v, (bool, int, float, str))
    )
    shapes = [[p.name, list(p.shape)] for p in cell.get_parameters()]
    return [[k, v] for k, v in settings] + shapes
