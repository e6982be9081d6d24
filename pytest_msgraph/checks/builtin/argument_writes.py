"""Which construct arguments the code writes through, read from its source (pure AST).

input_mutation sees that a caller's tensor changed, not through which name: when the
caller passed one tensor as two arguments (``label`` and ``label_again``), both change.
The source says which one the code writes into: an item write (``x[i] = v``,
``x[i] += v``) or an in-place method (``x.fill_(v)``) on the argument, on a name
assigned from an expression that reads it (``target = ops.cast(label, ms.int32)``) or
on such an expression itself (``ops.cast(label, ms.int32)[0] = v``), and ``x += v`` on
the argument (GRAPH_MODE writes the result back into the caller's tensor). A write made in
a method of the cell that construct hands the data to (``self.replace_label(target)``,
mindocr's VisionLANLoss) is found there, two calls deep, and placed at its own line.
"""
from __future__ import annotations

import ast
import inspect
import linecache
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
    return set(write_lines(function))


def _arguments(function: ast.FunctionDef) -> list[str]:
    return [a.arg for a in function.args.posonlyargs + function.args.args][1:]


def _origins(function: ast.FunctionDef, before: float = float("inf")) -> dict[str, set[str]]:
    """{name: the arguments whose data it may hold}: an argument itself, and each name assigned from it (by the
    assignments above line ``before``)."""
    origins: dict[str, set[str]] = {name: {name} for name in _arguments(function)}
    assignments = sorted((n for n in ast.walk(function) if isinstance(n, ast.Assign) and n.lineno < before),
                         key=lambda n: n.lineno)
    for node in assignments:  # in source order: a name derived from an argument carries the argument with it
        carried = set().union(*(origins.get(name, set()) for name in _names(node.value)))
        for target in node.targets:
            if isinstance(target, ast.Name) and carried:
                origins[target.id] = origins.get(target.id, set()) | carried
    return origins


def helper_calls(function: ast.FunctionDef) -> list[tuple[str, dict[Any, set[str]]]]:
    """Each ``self.method(...)`` call of ``function`` handed data of its arguments: (method, {position or keyword:
    the arguments that value carries})."""
    found = []
    for node in ast.walk(function):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
            origins = _origins(function, before=node.lineno)  # what each name holds when the call is made
            given: dict[Any, set[str]] = {}
            for key, value in [*enumerate(node.args), *((k.arg, k.value) for k in node.keywords if k.arg)]:
                carried = set().union(*(origins.get(name, set()) for name in _read_by(value)))
                if carried:
                    given[key] = carried
            if given:
                found.append((node.func.attr, given))
    return found


def write_lines(function: ast.FunctionDef) -> dict[str, int]:
    """{argument: the line (of the parsed source) of the first statement that writes into its data}."""
    arguments = _arguments(function)
    origins = _origins(function)

    def carried_by(node: ast.AST) -> set[str]:
        return set().union(*(origins.get(name, set()) for name in _read_by(node)))

    written: dict[str, int] = {}

    def wrote(names: set[str], line: int) -> None:
        for name in names:
            written[name] = min(written.get(name, line), line)

    for step in ast.walk(function):
        targets = step.targets if isinstance(step, ast.Assign) else [step.target] if isinstance(step, ast.AugAssign) \
            else []
        for target in targets:
            if isinstance(target, ast.Subscript):
                wrote(carried_by(target), target.lineno)
            elif isinstance(step, ast.AugAssign) and isinstance(target, ast.Name) and target.id in arguments:
                wrote({target.id}, step.lineno)
        if isinstance(step, ast.Call) and isinstance(step.func, ast.Attribute):
            attr = step.func.attr
            if attr.endswith("_") and not attr.startswith("_"):  # Tensor's in-place methods: fill_, copy_, add_
                wrote(carried_by(step.func.value), step.lineno)
    return written


def written_by(method: Any, owner: Any = None) -> set[str]:
    """``written_arguments`` of a method object; empty when its source cannot be read."""
    return set(written_where(method, owner))


HELPER_DEPTH = 2  # construct -> a method -> a method it calls


def written_where(method: Any, owner: Any = None, depth: int = 0) -> dict[str, tuple[str, int]]:
    """{argument: (file, line)} of the first write into each argument a method's body makes; {} without source.
    With ``owner`` (the cell's class), a write made by a method of it the body hands the argument to counts, at
    that method's line."""
    try:
        lines, first = inspect.getsourcelines(method)
        tree = ast.parse(textwrap.dedent("".join(lines)))
        path = inspect.getsourcefile(method) or "?"
    except (OSError, TypeError, SyntaxError):
        return {}
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef):
        return {}
    found = {name: (path, first + line - 1) for name, line in write_lines(function).items()}
    for name, given in helper_calls(function) if owner is not None and depth < HELPER_DEPTH else ():
        helper = inspect.getattr_static(owner, name, None)  # a staticmethod or classmethod object is not a function:
        if not inspect.isfunction(helper):  # its first parameter is no self, and the positions would shift
            continue
        inner = written_where(helper, owner, depth + 1)
        parameters = list(inspect.signature(helper).parameters)[1:]
        for key, carried in given.items():
            parameter = parameters[key] if isinstance(key, int) and key < len(parameters) else key
            if parameter in inner:
                for argument in carried:
                    found.setdefault(argument, inner[parameter])
    return found


def passed_at(where: str, position: int) -> str:
    """The expression the caller passed as argument ``position`` in the call at ``where`` (``file.py:12``), as
    written (``label``); '' when the line does not parse alone (a call over several lines) or holds no such call."""
    path, _, line = where.rpartition(":")
    text = linecache.getline(path, int(line)).strip() if line.isdigit() else ""
    try:
        tree = ast.parse(text.rstrip(":"))
    except SyntaxError:
        return ""
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and len(node.args) > position]
    return ast.unparse(calls[0].args[position]) if calls else ""  # the outermost call: the cell's, in ast's order
