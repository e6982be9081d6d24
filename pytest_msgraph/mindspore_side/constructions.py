"""How each Cell was built, recorded as it is made, and written back as Python (issue 41).

A standalone repro builds one sub-cell alone, so it needs the sub-cell's class and the
arguments it was constructed with. A subclass's ``__init__`` hands ``Cell.__init__`` none
of them, but ``Cell.__new__`` receives the very arguments of ``Block(4, act=nn.ReLU())``:
``record`` wraps it, for the session that asks (``--ms-repro``), and keeps them by weak
reference to the cell. Without it nothing is wrapped and nothing costs. (MindSpore's own
``Cell.global_cells`` records the same only with auto lazy inline on, which changes how
graphs compile.)

``source`` writes a recorded construction back: numbers, strings, None, tuples, lists,
dicts, MindSpore dtypes and other recorded cells, in the class's public name
(``nn.LSTM(512, 32, num_layers=2, bidirectional=True)``). An argument it cannot write (a
tensor, a function) is written as ``None`` and named, with its type, in ``unwritten``: the
rest is still written.
"""
from __future__ import annotations

import dataclasses
import math
import weakref
from typing import Any, Optional

_SCALARS = (bool, int, str, type(None))


class Constructions:
    """The constructor arguments of every Cell made while ``record`` is on."""

    def __init__(self, cell_cls: type) -> None:
        self._cell_cls = cell_cls
        self._made: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._orig_new: Optional[Any] = None

    def record(self) -> None:
        if self._orig_new is not None:
            return
        orig_new = self._orig_new = self._cell_cls.__dict__["__new__"]
        made = self._made

        def recording_new(class_: type, *args: Any, **kwargs: Any) -> Any:
            this = orig_new.__func__(class_, *args, **kwargs)
            made[this] = (args, kwargs)
            return this

        self._cell_cls.__new__ = staticmethod(recording_new)  # type: ignore[assignment]

    def stop(self) -> None:
        if self._orig_new is not None:
            self._cell_cls.__new__ = self._orig_new  # type: ignore[method-assign]
            self._orig_new = None

    def of(self, cell: Any) -> Optional[tuple]:
        """(args, kwargs) the cell was built with, or None (made while nothing recorded)."""
        return self._made.get(cell)


@dataclasses.dataclass
class Source:
    expression: str  # the constructor call, e.g. "nn.LSTM(512, 32, num_layers=2, bidirectional=True)"
    imports: list[str]  # the lines the expression needs, e.g. "from mindspore import nn"
    unwritten: list[str]  # each argument written as None instead, and why: "Block argument 2: a Tensor"


def source(ms: Any, constructions: Constructions, cell: Any) -> Source:
    """The Python that builds ``cell`` again, as far as it can be written."""
    found = Source("", [], [])
    found.expression = _cell(ms, constructions, cell, found, type(cell).__name__)
    found.imports = sorted(set(found.imports))
    return found


def _cell(ms: Any, constructions: Constructions, cell: Any, found: Source, where: str) -> str:
    recorded = constructions.of(cell)
    if recorded is None:
        found.unwritten.append(f"{where}: a {type(cell).__name__} made while nothing recorded")
        return "None"
    args, kwargs = recorded
    name = _class_name(ms, type(cell), found)
    parts = [literal(ms, constructions, value, found, f"{name} argument {i + 1}") for i, value in enumerate(args)]
    parts += [f"{key}={literal(ms, constructions, value, found, f'{name} argument {key!r}')}"
              for key, value in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _class_name(ms: Any, cls: type, found: Source) -> str:
    if getattr(ms.nn, cls.__name__, None) is cls:
        found.imports.append("from mindspore import nn")
        return f"nn.{cls.__name__}"
    found.imports.append(f"import {cls.__module__}")
    return f"{cls.__module__}.{cls.__qualname__}"


def literal(ms: Any, constructions: Constructions, value: Any, found: Source, where: str) -> str:
    """``value`` as Python source (its imports and anything written as None go into ``found``)."""
    if isinstance(value, _SCALARS):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else f"float('{value}')"
    if isinstance(value, (tuple, list)):
        items = [literal(ms, constructions, item, found, f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, list):
            return f"[{', '.join(items)}]"
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, dict) and all(isinstance(key, _SCALARS) for key in value):
        return "{" + ", ".join(f"{key!r}: {literal(ms, constructions, item, found, f'{where}[{key!r}]')}"
                               for key, item in value.items()) + "}"
    if isinstance(value, ms.nn.Cell):
        return _cell(ms, constructions, value, found, where)
    dtype = _dtype_name(ms, value)
    if dtype:
        found.imports.append("import mindspore as ms")
        return f"ms.{dtype}"
    if hasattr(value, "item") and getattr(value, "shape", None) == () and type(value).__module__ == "numpy":
        return literal(ms, constructions, value.item(), found, where)  # a numpy scalar
    found.unwritten.append(f"{where}: a {type(value).__name__}")
    return "None"


def _dtype_name(ms: Any, value: Any) -> str:
    """'float16' for ms.float16; '' for anything that is not a MindSpore dtype."""
    if not isinstance(value, ms.dtype.Type):
        return ""
    return next((name for name in dir(ms.dtype) if name.islower() and not name.startswith("_")
                 and isinstance(getattr(ms.dtype, name), ms.dtype.Type) and getattr(ms.dtype, name) == value
                 and getattr(ms, name, None) is getattr(ms.dtype, name)), "")
