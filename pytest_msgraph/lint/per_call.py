"""Which expressions of a graph function hold a value that changes per call (pure AST).

numpy in graph code is harmful where it touches a tensor or another per-call value
(LAX runs it through the Python fallback, outside the graph, with no gradient; STRICT
rejects it). On compile-time constants (shapes, ``len``, settings held on ``self``,
literals) it runs once while the graph compiles and gives the same value in both modes:
``np.arange(x.shape[0])`` is harmless (measured on MindSpore 2.10).

A function's parameters (not ``self``) are per call; so is what a call through
``self`` (a sub-cell, a method) or a MindSpore op returns; so is any name assigned
from a per-call expression. A shape, a rank, a dtype or a length read from one is a
constant, since GRAPH_MODE compiles one graph per input shape.
"""
from __future__ import annotations

import ast
from typing import Callable, Iterator

# Attributes of a tensor that are constants in the compiled graph.
_CONSTANT_ATTRIBUTES = frozenset({"shape", "ndim", "dtype", "size", "itemsize", "nbytes"})
# Builtins whose result on a tensor is a constant (len(x) is its first dimension).
_CONSTANT_CALLS = frozenset({"len", "isinstance", "type", "hasattr", "getattr", "callable", "id"})
_PASSES = 8  # assignments chain at most this deep before the fixed point (real code needs 2 or 3)


def _names(target: ast.AST) -> Iterator[str]:
    for node in ast.walk(target):
        if isinstance(node, ast.Name):
            yield node.id


class PerCall:
    """Per-call names of one function, and whether an expression touches one."""

    def __init__(self, function: ast.AST, module_of: Callable[[ast.AST], str]) -> None:
        self._module_of = module_of  # 'np.arange' -> 'numpy.arange'; '' for what is not a module's
        args = function.args  # type: ignore[attr-defined]
        params = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
        self.names = {p.arg for p in params if p.arg not in ("self", "cls")}
        self._settle(function)

    def _settle(self, function: ast.AST) -> None:
        for _ in range(_PASSES):
            before = len(self.names)
            for node in ast.walk(function):
                for target, value in _bindings(node):
                    if self.touches(value):
                        self.names.update(n for n in _names(target) if n not in ("self", "cls"))
            if len(self.names) == before:
                return

    def touches(self, node: ast.AST) -> bool:
        """True when ``node`` reads a per-call value (other than its shape, rank, dtype or length)."""
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Attribute):
            if node.attr in _CONSTANT_ATTRIBUTES:
                return False
            return self.touches(node.value)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in _CONSTANT_CALLS:
                return False
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
                return True  # a sub-cell or a method: a tensor, computed per call
            if self._module_of(func).startswith("mindspore"):
                return True  # an op
        return any(self.touches(child) for child in ast.iter_child_nodes(node))


def _bindings(node: ast.AST) -> Iterator[tuple[ast.AST, ast.AST]]:
    """(target, value) for each way a statement or expression binds names."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            yield target, node.value
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and node.value is not None:
        yield node.target, node.value
    elif isinstance(node, ast.NamedExpr):
        yield node.target, node.value
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        yield node.target, node.iter
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        yield node.optional_vars, node.context_expr
