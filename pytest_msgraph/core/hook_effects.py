"""What a Cell hook does in Python besides returning a tensor (pure AST).

Measured on MindSpore 2.7.2 and 2.10 CPU: a forward or backward hook registered on a
sub-cell is compiled into the graph in GRAPH_MODE. Its tensor result applies in both
modes, but GRAPH_MODE never runs its Python: a hook that appends the output to a list,
counts, prints or logs does so in PYNATIVE_MODE only, and a feature-capture list stays
empty in GRAPH_MODE, silently. ``side_effects`` names those statements of a hook.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, Optional, Union

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]
# Methods that change the object they are called on, or write somewhere: a list, a dict, a set, a logger, a file.
_CHANGING = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "clear", "remove",
             "discard", "put", "write", "writelines", "info", "debug", "warning", "error", "log", "add_scalar"}


def _root(node: ast.AST) -> Optional[str]:
    """The name an attribute or subscript chain starts from (``feats`` of ``feats[0].x``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _locals(function: Function) -> set[str]:
    args = function.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    body = function.body if isinstance(function.body, list) else [function.body]
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    for node in ast.walk(function):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            names -= set(node.names)
    return names


def effects_of(function: Function) -> list[str]:
    """The Python side effects of one parsed hook, as short phrases, in source order."""
    local = _locals(function)
    found: list[str] = []
    body = function.body if isinstance(function.body, list) else [function.body]
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                found.append(f"rebinds {', '.join(node.names)}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                found.append("prints")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in _CHANGING and _root(node.func.value) not in local | {None}):
                found.append(f"calls {ast.unparse(node.func)}()")
            elif isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, (ast.Attribute, ast.Subscript)) and _root(target) not in local | {None}:
                        found.append(f"writes {ast.unparse(target)}")
    return list(dict.fromkeys(found))


def side_effects(hook: Any) -> list[str]:
    """The Python side effects of a hook function; [] when it has none or its source cannot be read."""
    try:
        source = textwrap.dedent(inspect.getsource(hook))
    except (OSError, TypeError):
        return []
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a lambda inside a larger expression: parse its own line as a statement's part
        try:
            tree = ast.parse(source.strip().rstrip(",)"))
        except SyntaxError:
            return []
    name = getattr(hook, "__name__", "")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return effects_of(node)
        if isinstance(node, ast.Lambda) and name == "<lambda>":  # the first lambda of its line
            return effects_of(node)
    return []
