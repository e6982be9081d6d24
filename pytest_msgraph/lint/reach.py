"""What graph code reaches beyond its own class: base classes and helpers across the project (pure AST).

GRAPH_MODE compiles every Python function and method that graph code calls (measured
on MindSpore 2.10: a ``try`` in a module-level helper that ``construct`` calls fails
the compile with "Unsupported statement 'Try'"), except those marked to run in Python
while compiling (``@constexpr``, ``@_primexpr``). A ``@ms.jit`` function is linted as
its own graph. So the lint reads, with the call chain that led there:

- the functions ``construct`` calls by name (``helper(x)``, ``utils.helper(x)``), in
  this file or imported from the project;
- the methods it calls through ``self`` that a project base class defines.
"""
from __future__ import annotations

import ast
from typing import Iterator, Optional

from ..core.graph_code import Function
from .project import Module, Project
from .visitor import dotted

_COMPILE_TIME = ("constexpr", "_constexpr", "primexpr", "_primexpr")
JIT = ("jit", "ms_function")
_DEPTH = 6  # calls followed at most this deep from construct


def class_kind(project: Project, module: Module, node: ast.ClassDef, depth: int = 0) -> str:
    """"Cell", "exception" or "class": by the bases' names, and the bases the project defines (any module)."""
    for base in node.bases:
        name = dotted(base)
        last = name.split(".")[-1]
        if last.endswith("Cell"):
            return "Cell"
        if last.endswith(("Error", "Exception", "Warning")):
            return "exception"
        found = project.find(module, name) if name and depth < _DEPTH else None
        if found is not None and isinstance(found[1], ast.ClassDef) and found[1] is not node:
            kind = class_kind(project, found[0], found[1], depth + 1)
            if kind != "class":
                return kind
    return "class"


def project_bases(project: Project, module: Module, node: ast.ClassDef) -> Iterator[tuple[Module, ast.ClassDef]]:
    """The class's bases the project defines, nearest first (depth first, as a simple MRO)."""
    todo, seen = [(module, node)], {id(node)}
    while todo:
        here, cls = todo.pop(0)
        for base in cls.bases:
            found = project.find(here, dotted(base)) if dotted(base) else None
            if found is not None and isinstance(found[1], ast.ClassDef) and id(found[1]) not in seen:
                seen.add(id(found[1]))
                yield found[0], found[1]
                todo.append((found[0], found[1]))


def _inherited(project: Project, module: Module, cls: ast.ClassDef) -> dict[str, tuple[str, Module, Function]]:
    """The methods the class's project bases define (the nearest base's wins): name -> (shown, module, method)."""
    key = ("inherited", module.path, id(cls))
    if key not in project.derived:
        methods: dict[str, tuple[str, Module, Function]] = {}
        for base_module, base in project_bases(project, module, cls):
            for node in base.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    methods.setdefault(node.name, (f"{base.name}.{node.name}", base_module, node))
        project.derived[key] = methods
    found: dict[str, tuple[str, Module, Function]] = project.derived[key]
    return found


def names_one_of(node: ast.AST, names: tuple[str, ...]) -> bool:
    """``jit``, ``ms.jit``, ``ms.jit(...)`` or ``functools.partial(ms.jit, ...)`` for ``jit`` in ``names``."""
    if isinstance(node, ast.Call):
        if dotted(node.func).split(".")[-1] == "partial" and node.args:
            return names_one_of(node.args[0], names)
        node = node.func
    return dotted(node).split(".")[-1] in names


def _decorated(function: Function, names: tuple[str, ...]) -> bool:
    return any(names_one_of(decorator, names) for decorator in function.decorator_list)


def is_compiled_helper(function: Function) -> bool:
    """A function GRAPH_MODE compiles when graph code calls it (not run in Python while compiling, not its
    own jit graph)."""
    return not _decorated(function, _COMPILE_TIME + JIT)


def reached(project: Project, module: Module, calls: list[ast.Call],
            owner: Optional[tuple[Module, ast.ClassDef]]) -> Iterator[tuple[str, Module, Function]]:
    """(name shown in the chain, its module, the function) for each project function ``calls`` (a body's) call;
    ``self.m()`` is looked up in the Cell class being linted (``owner``), then in its project bases."""
    cls_module, cls = owner if owner is not None else (module, None)
    own = {n.name for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))} if cls else set()
    for node in calls:
        name = dotted(node.func)
        head, _, attr = name.partition(".")
        if head == "self" and cls is not None and attr and "." not in attr:
            if attr in own:
                continue  # the class's own methods are its graph code already
            inherited = _inherited(project, cls_module, cls).get(attr)
            if inherited is not None and is_compiled_helper(inherited[2]):
                yield inherited
        elif name and head not in ("self", "cls"):
            found = project.find(module, name)
            if found is not None and not isinstance(found[1], ast.ClassDef) and is_compiled_helper(found[1]):
                yield name, found[0], found[1]
