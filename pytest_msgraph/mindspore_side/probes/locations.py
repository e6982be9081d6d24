"""Where a call came from, and which objects it was made on: the helpers every probe shares.

``user_location`` names the user's line (the innermost frame outside MindSpore and
this plugin); the reference helpers let a probe recognise the very input objects of
an earlier call without keeping them alive.
"""
from __future__ import annotations

import os
import sys
import weakref
from types import FrameType
from typing import Any, Callable, Optional

from .. import internals

# The plugin's own package: its frames are never the user's line.
_OWN_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ref_to(value: Any) -> Any:
    try:
        return weakref.ref(value)
    except TypeError:  # ints, strings, None: compared by identity as they are
        return value


def same_objects(refs: tuple, args: tuple) -> bool:
    """True when ``args`` are the very objects recorded in ``refs`` (a dead reference never matches)."""
    if len(refs) != len(args) or not args:
        return False
    for ref, arg in zip(refs, args):
        target = ref() if isinstance(ref, weakref.ref) else ref
        if target is not arg:
            return False
    return True


def is_after_grad(fn: Any) -> bool:
    """The closure ms.grad, ms.value_and_grad and GradOperation return (jitted in GRAPH_MODE)."""
    return getattr(getattr(fn, "__code__", None), "co_name", None) == internals.GRAPH_GRAD_CLOSURE


def closure_values(fn: Any) -> dict:
    """A function's free variables by name; cells not filled yet are left out."""
    code = getattr(fn, "__code__", None)
    values = {}
    for name, cell in zip(getattr(code, "co_freevars", ()), getattr(fn, "__closure__", None) or ()):
        try:
            values[name] = cell.cell_contents
        except ValueError:
            continue
    return values


def is_internal(frame: Any, ms_dir: str) -> bool:
    filename = frame.f_code.co_filename
    return filename.startswith(ms_dir) or filename.startswith(_OWN_DIR)


def user_location(ms_dir: str) -> str:
    """``file.py:12`` of the innermost caller outside MindSpore and this plugin."""
    frame: Optional[FrameType] = sys._getframe(1)
    while frame is not None and is_internal(frame, ms_dir):
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{_relative(frame.f_code.co_filename, os.getcwd())}:{frame.f_lineno}"


_RELATIVE: dict = {}  # (file, working directory) -> the file relative to it: relpath costs ~20 us, asked per call


def _relative(filename: str, cwd: str) -> str:
    key = (filename, cwd)
    if key not in _RELATIVE:
        _RELATIVE[key] = os.path.relpath(filename, cwd)
    return _RELATIVE[key]


def cell_path(root: Any, target: Any) -> Optional[str]:
    """The attribute path of ``target`` inside ``root`` ('' for root itself), or None."""
    if root is target:
        return ""
    cells_and_names: Optional[Callable] = getattr(root, "cells_and_names", None)
    if cells_and_names is None:
        return None
    for name, cell in cells_and_names():
        if cell is target:
            return name
    return None


def cells_behind(fn: Any) -> list:
    """The Cells a differentiated function runs: itself, its closure's, and the module globals it names."""
    if hasattr(fn, "cells_and_names"):
        return [fn]
    found = [value for value in closure_values(fn).values() if hasattr(value, "cells_and_names")]
    names = getattr(getattr(fn, "__code__", None), "co_names", ())
    scope = getattr(fn, "__globals__", {})
    found += [scope[n] for n in names if hasattr(scope.get(n), "cells_and_names")]
    return list({id(cell): cell for cell in found}.values())
