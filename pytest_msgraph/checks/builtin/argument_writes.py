"""Which construct arguments the code writes through, read from its source (pure AST).

input_mutation sees that a caller's tensor changed, not through which name: when the
caller passed one tensor as two arguments (``label`` and ``label_again``), both change.
The source says which one the code writes into: an item write (``x[i] = v``,
``x[i] += v``) or an in-place method (``x.fill_(v)``) on the argument, on a name
assigned from an expression that reads it (``target = ops.cast(label, ms.int32)``) or
on such an expression itself (``ops.cast(label, ms.int32)[0] = v``), and ``x += v`` on
the argument (GRAPH_MODE writes the result back into the caller's tensor).
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _read_by(node: ast.AST) -> set[str]:
    """The names whose data ``node`` (what is written into) is: ``x`` for ``x[i]`` and ``x.data[i]``, the
    names a call reads for ``ops.cast(label, ms.int32)[0]`` (the cast may return its input itself)."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    if isinstance(node, ast.Name):
        return {node.id}
    return _names(node) if isinstance(node, ast.Call) else set()


def written_arguments(function: ast.FunctionDef) -> set[str]:
    """The arguments of ``function`` whose data the body writes into, directly or through a derived name."""
    arguments = [a.arg for a in function.args.posonlyargs + function.args.args][1:]
    origins: dict[str, set[str]] = {name: {name} for name in arguments}
    assignments = sorted((n for n in ast.walk(function) if isinstance(n, ast.Assign)), key=lambda n: n.lineno)
    for node in assignments:  # in source order: a name derived from an argument carries the argument with it
        carried = set().union(*(origins.get(name, set()) for name in _names(node.value)))
        for target in node.targets:
            if isinstance(target, ast.Name) and carried:
                origins[target.id] = origins.get(target.id, set()) | carried
    def carried_by(node: ast.AST) -> set[str]:
        return set().union(*(origins.get(name, set()) for name in _read_by(node)))

    written: set[str] = set()
    for step in ast.walk(function):
        targets = step.targets if isinstance(step, ast.Assign) else [step.target] if isinstance(step, ast.AugAssign) \
            else []
        for target in targets:
            if isinstance(target, ast.Subscript):
                written |= carried_by(target)
            elif isinstance(step, ast.AugAssign) and isinstance(target, ast.Name) and target.id in arguments:
                written.add(target.id)
        if isinstance(step, ast.Call) and isinstance(step.func, ast.Attribute):
            attr = step.func.attr
            if attr.endswith("_") and not attr.startswith("_"):  # Tensor's in-place methods: fill_, copy_, add_
                written |= carried_by(step.func.value)
    return written


def written_by(method: Any) -> set[str]:
    """``written_arguments`` of a method object; empty when its source cannot be read."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    except (OSError, TypeError, SyntaxError):
        return set()
    function = tree.body[0] if tree.body else None
    return written_arguments(function) if isinstance(function, ast.FunctionDef) else set()
