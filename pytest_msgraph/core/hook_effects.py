"""What a Cell hook does in Python besides returning a tensor (pure AST).

Measured on MindSpore 2.7.2 and 2.10 CPU: a forward or backward hook registered on a
sub-cell is compiled into the graph in GRAPH_MODE. Its tensor result applies in both
modes, but GRAPH_MODE never runs its Python: a hook that appends the output to a list,
counts, prints or logs does so in PYNATIVE_MODE only, and a feature-capture list stays
empty in GRAPH_MODE, silently. The same holds when the hook is a bound method writing
to its object (``self.features.append(output)``) and when it calls a helper of the
user's that appends (measured on 2.7.2 and 2.10: the list stays empty in GRAPH_MODE in both cases).
``side_effects`` names those statements of a hook, following the helpers it calls.
"""
from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]
# Methods that change the object they are called on, or write somewhere: a list, a dict, a set, a logger, a file.
_CHANGING = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "clear", "remove",
             "discard", "put", "write", "writelines", "info", "debug", "warning", "error", "log", "add_scalar"}
# Helpers are followed this deep, and only into the user's code: a library's internals are its own business, and
# reading their source would cost more than the hook is worth.
_DEPTH = 3
_LIBRARIES = {"mindspore", "numpy", "pytest", "_pytest", "pluggy", "pytest_msgraph", "torch"}
# The standard library's modules (Python 3.10 names them; on 3.9 the usual ones a hook may call).
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) or frozenset(
    {"builtins", "collections", "copy", "functools", "itertools", "logging", "math", "operator", "os", "random",
     "re", "time", "typing"})


def _root(node: ast.AST) -> Optional[str]:
    """The name an attribute or subscript chain starts from (``feats`` of ``feats[0].x``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _parameters(function: Function) -> list[str]:
    args = function.args
    return [a.arg for a in args.posonlyargs + args.args] + [a.arg for a in (args.vararg,) if a is not None]


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


@dataclass(frozen=True)
class _Scope:
    """How one function is read: which of its names stay inside it, and how a name it calls is found."""
    local: frozenset[str]
    resolve: Callable[[ast.expr], Any]  # a called expression -> the Python function it is, or None
    depth: int


def _outside(node: ast.AST, scope: _Scope) -> bool:
    root = _root(node)
    return root is not None and root not in scope.local


def effects_of(function: Function, scope: Optional[_Scope] = None) -> list[str]:
    """The Python side effects of one parsed hook, as short phrases, in source order."""
    scope = scope or _Scope(frozenset(_locals(function)), lambda node: None, 0)
    found: list[str] = []
    body = function.body if isinstance(function.body, list) else [function.body]
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                found.append(f"rebinds {', '.join(node.names)}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                found.append("prints")
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in _CHANGING and _outside(node.func.value, scope)):
                found.append(f"calls {ast.unparse(node.func)}()")
            elif isinstance(node, ast.Call):
                found += _through_helper(node, scope)
            elif isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, (ast.Attribute, ast.Subscript)) and _outside(target, scope):
                        found.append(f"writes {ast.unparse(target)}")
    return list(dict.fromkeys(found))


def _through_helper(call: ast.Call, scope: _Scope) -> list[str]:
    """What a helper of the user's does when the hook calls it, worded from the hook: 'calls remember(), which
    calls store.append()'. A helper's parameter counts as outside it when the hook passes it something from
    outside the hook (a global list, the object a bound method writes to)."""
    if scope.depth >= _DEPTH:
        return []
    helper = scope.resolve(call.func)
    parsed = _parsed(helper) if helper is not None else None
    if parsed is None:
        return []
    node, bound = parsed
    names = _parameters(node)
    passed: list[tuple[str, ast.expr]] = []
    if bound is not None and names:  # a bound method: its first parameter is the object it is bound to
        passed.append((names.pop(0), ast.Name(id="self", ctx=ast.Load())))
    passed += list(zip(names, call.args))
    passed += [(k.arg, k.value) for k in call.keywords if k.arg is not None]
    outside = {name for name, value in passed
               if (bound is not None and name == passed[0][0]) or _outside(value, scope)}
    inner = _Scope(frozenset(_locals(node) - outside), _resolver(helper), scope.depth + 1)
    return [f"calls {ast.unparse(call.func)}(), which {effect}" for effect in effects_of(node, inner)]


def _user_code(function: Any) -> bool:
    module = (getattr(function, "__module__", None) or "").split(".")[0]
    return inspect.isfunction(function) and module not in _LIBRARIES and module not in _STDLIB


def _resolver(function: Any) -> Callable[[ast.expr], Any]:
    """How a name called inside ``function`` is found: its closure, its module's globals, and (for a bound method)
    the attributes of the object it is bound to."""
    bound = getattr(function, "__self__", None)
    plain = getattr(function, "__func__", function)
    try:
        names = inspect.getclosurevars(plain)
        seen = {**names.builtins, **names.globals, **names.nonlocals}
    except (TypeError, ValueError):
        seen = {}

    def resolve(node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            found = seen.get(node.id)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and bound is not None
              and node.value.id == _first_parameter(plain)):
            found = _static_method(bound, node.attr)
        else:
            return None
        return found if _user_code(getattr(found, "__func__", found)) else None
    return resolve


def _static_method(obj: Any, name: str) -> Any:
    """``obj.name`` bound as Python would bind a plain method, without running a property or ``__getattr__`` (reading
    a hook must run none of the user's code); None for anything else."""
    try:
        found = inspect.getattr_static(obj, name)
    except AttributeError:
        return None
    return found.__get__(obj, type(obj)) if inspect.isfunction(found) else None


def _first_parameter(function: Any) -> Optional[str]:
    try:
        return next(iter(inspect.signature(function).parameters), None)
    except (TypeError, ValueError):
        return None


def _parsed(function: Any) -> Optional[tuple[Function, Any]]:
    """The parsed definition of a function or bound method, and the object it is bound to (None for a function)."""
    bound = getattr(function, "__self__", None)
    plain = getattr(function, "__func__", function)
    try:
        source = textwrap.dedent(inspect.getsource(plain))
    except (OSError, TypeError):
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a lambda inside a larger expression: parse its own line as a statement's part
        try:
            tree = ast.parse(source.strip().rstrip(",)"))
        except SyntaxError:
            return None
    name = getattr(plain, "__name__", "")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node, bound
        if isinstance(node, ast.Lambda) and name == "<lambda>":  # the first lambda of its line
            return node, bound
    return None


def side_effects(hook: Any) -> list[str]:
    """The Python side effects of a hook function or bound method; [] when it has none or its source cannot be
    read. A bound method's object is outside it (``self.features.append(output)`` writes to something that lasts)."""
    parsed = _parsed(hook)
    if parsed is None:
        return []
    node, bound = parsed
    local = _locals(node)
    if bound is not None and _parameters(node):
        local.discard(_parameters(node)[0])
    return effects_of(node, _Scope(frozenset(local), _resolver(hook), 0))
