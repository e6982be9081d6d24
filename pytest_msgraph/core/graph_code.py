"""Which source is graph code: a Cell class's construct and bprop and the methods they call (pure AST).

The lint reads these methods for graph-syntax traps; the stale_attribute check reads
them for the ``self.`` attributes the compiled graph froze.
"""
from __future__ import annotations

import ast
import functools
import inspect
import os
import textwrap
from typing import Any, Iterator, Optional, Union

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]
ENTRY_POINTS = ("construct", "bprop")
# Tensor methods graph code may call whose result differs between the modes by design (measured on
# 2.10): (what happens, the fix). mode_parity names them as the cause of a difference, and the
# pair verdict as the cause of a failure on the line that calls them.
MODE_DEPENDENT_METHODS = {
    "is_contiguous": ("Tensor.is_contiguous() inside a Cell is True in GRAPH_MODE and False in PYNATIVE_MODE for the "
                      "same transposed view: graph mode has no views or strides, so code that branches on it takes "
                      "another path in each mode.",
                      "Branch on something both modes agree on, or call .contiguous() unconditionally."),
}


def graph_methods(cls: ast.ClassDef) -> Iterator[Function]:
    """construct and bprop, and the methods of the class they call through self, each once."""
    methods = {n.name: n for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    todo: list[str] = [name for name in ENTRY_POINTS if name in methods]
    seen: set[Any] = set()
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        method = methods[name]
        yield method
        for node in ast.walk(method):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                    and node.func.attr in methods):
                todo.append(node.func.attr)


def _self_attributes(functions: list[Function], context: type) -> set[str]:
    return {node.attr for function in functions for node in ast.walk(function)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
            and isinstance(node.ctx, context)}


def attributes_read(cls: Any) -> frozenset[str]:
    """The ``self.X`` a class's graph code reads and never writes (cached per class)."""
    return _attributes_read(cls)


def methods_called(cls: Any) -> frozenset[str]:
    """The names of the methods a class's graph code calls on anything (cached per class)."""
    return _methods_called(cls)


@functools.lru_cache(maxsize=512)
def _attributes_read(cls: Any) -> frozenset[str]:
    """The ``self.X`` a class's graph code reads and never writes (a counter it bumps is no frozen setting).

    Its base classes' graph code counts too (a subclass may keep its parent's construct).
    """
    found: set[str] = set()
    for klass in cls.__mro__:
        tree = _class_tree(klass)
        if tree is None:
            continue
        functions = list(graph_methods(tree))
        found |= _self_attributes(functions, ast.Load) - _self_attributes(functions, ast.Store)
    return frozenset(found)


@functools.lru_cache(maxsize=512)
def _methods_called(cls: Any) -> frozenset[str]:
    """The names of the methods a class's graph code calls on anything (``y.is_contiguous()`` -> ``is_contiguous``)."""
    found: set[str] = set()
    for klass in cls.__mro__:
        tree = _class_tree(klass)
        for function in graph_methods(tree) if tree is not None else ():
            found |= {node.func.attr for node in ast.walk(function)
                      if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    return frozenset(found)


def _class_tree(klass: type) -> Optional[ast.ClassDef]:
    if klass.__module__.startswith(("mindspore.", "builtins")):
        return None  # MindSpore's own cells read their settings as designed
    try:
        source = textwrap.dedent(inspect.getsource(klass))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, ast.ClassDef) else None


_CONSTRUCTS: dict[Any, str] = {}


def construct_location(cls: Any) -> str:
    """``file.py:12`` of a Cell class's construct, relative to the working directory; '?' when it has no source."""
    if cls not in _CONSTRUCTS:
        try:
            construct = cls.construct
            where = f"{os.path.relpath(inspect.getsourcefile(construct) or '?')}:{inspect.getsourcelines(construct)[1]}"
        except (OSError, TypeError, AttributeError):
            where = "?"
        _CONSTRUCTS[cls] = where
    return _CONSTRUCTS[cls]
