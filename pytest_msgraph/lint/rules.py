"""graph_syntax's rules: what GRAPH_MODE rejects or silently changes, found in the source (pure).

It reads the source (never imports or runs it) of every ``nn.Cell`` subclass's
``construct`` and ``bprop`` (and the methods of the same class they call through
``self``), and of every ``@ms.jit`` function. ``# msgraph: ignore[MSG003]`` (or a
bare ``# msgraph: ignore``) on a line silences it there.
"""
from __future__ import annotations

import ast
import dataclasses
import re
import tokenize
from pathlib import Path
from typing import Any, Optional

from ..core.graph_code import Function, graph_methods
from .messages import DIAGNOSES, FIXES, MSG006_ERRORS, RULES
from .visitor import GraphCodeVisitor, dotted

_JIT_NAMES = ("jit", "ms_function")
_SUPPRESS = re.compile(r"#\s*msgraph:\s*ignore(?:\[([A-Z0-9_,\s]+)\])?")


@dataclasses.dataclass(frozen=True)
class LintFinding:
    path: str
    line: int
    col: int
    rule: str
    cell: str  # the class (or function) whose graph code it is in
    message: str
    fix: str = ""  # FIXES[rule] unless the finding needs another

    def __post_init__(self) -> None:
        if not self.fix:
            object.__setattr__(self, "fix", FIXES[self.rule])

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.rule} {self.message}"


def _module_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> the module it stands for ('np' -> 'numpy', 'npr' -> 'numpy.random')."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                aliases[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _class_kinds(tree: ast.Module) -> dict[str, str]:
    """This file's classes: name -> "Cell", "exception" or "class" (bases of the file count too)."""
    kinds: dict[str, str] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        kinds[node.name] = "class"
        for base in node.bases:
            name = dotted(base).split(".")[-1]
            if name.endswith("Cell") or kinds.get(name) == "Cell":
                kinds[node.name] = "Cell"
            elif name.endswith(("Error", "Exception", "Warning")) or kinds.get(name) == "exception":
                kinds[node.name] = "exception"
    return kinds


def _is_cell_class(node: ast.ClassDef, cells: set[Any]) -> bool:
    for base in node.bases:
        name = dotted(base)
        if name.split(".")[-1].endswith("Cell") or name in cells:
            return True
    return False


def _names_jit(node: ast.AST) -> bool:
    """``ms.jit``, ``jit``, ``ms.jit(...)`` or ``functools.partial(ms.jit, ...)``."""
    if isinstance(node, ast.Call):
        if dotted(node.func).split(".")[-1] == "partial" and node.args:
            return _names_jit(node.args[0])
        node = node.func
    return dotted(node).split(".")[-1] in _JIT_NAMES


def _jitted_by_call(tree: ast.Module) -> set[str]:
    """Functions turned into graphs by a call rather than a decorator: ``fast = ms.jit(plain)``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _names_jit(node.func) and not isinstance(node.func, ast.Call):
            keywords = [k.value for k in node.keywords if k.arg in ("fn", "function")]
            target = node.args[0] if node.args else (keywords[0] if keywords else None)
            if isinstance(target, ast.Name):
                names.add(target.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and _names_jit(node.func):
            # functools.partial(ms.jit, ...)(plain) and ms.jit(jit_level="O1")(plain)
            if node.args and isinstance(node.args[0], ast.Name):
                names.add(node.args[0].id)
    return names


def _is_jit(node: Function, by_call: set[str]) -> bool:
    return node.name in by_call or any(_names_jit(d) for d in node.decorator_list)


def _suppressed(lines: list[str], line: int, rule: str) -> bool:
    if not 0 < line <= len(lines):
        return False
    match = _SUPPRESS.search(lines[line - 1])
    if not match:
        return False
    listed = match.group(1)
    return listed is None or rule in {r.strip() for r in listed.split(",")}


class UnreadableSource(Exception):
    """A file the lint cannot read or parse: reported as an error, never as clean."""


def lint_source(source: str, path: str) -> list[LintFinding]:
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte (a binary file)
        lineno = getattr(exc, "lineno", None)
        where = f" (line {lineno})" if lineno else ""
        reason = exc.args[0] if exc.args else exc
        raise UnreadableSource(f"{path}: cannot parse{where}: {type(exc).__name__}: {reason}; "
                               "the lint checks nothing in a file Python cannot parse") from None
    lines = source.splitlines()
    aliases = _module_aliases(tree)
    module_classes = _class_kinds(tree)
    by_call = _jitted_by_call(tree)
    findings: list[LintFinding] = []
    cells: set[Any] = set()
    scanned: set[int] = set()  # a construct decorated with @ms.jit is one graph function, linted once

    def scan(function: Function, owner: str, is_construct: bool) -> None:
        if id(function) in scanned:
            return
        scanned.add(id(function))

        def report(node: Any, rule: str, values: dict[str, Any], fix: Optional[str] = None) -> None:
            if not _suppressed(lines, node.lineno, rule):
                findings.append(LintFinding(path, node.lineno, node.col_offset + 1, rule, owner,
                                            RULES[rule].format(**values) if fix is None
                                            else f"{DIAGNOSES[rule].format(**values)} {fix}", fix or ""))
        GraphCodeVisitor(function, aliases, report, module_classes, is_construct).visit_root()

    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _is_cell_class(node, cells):
            cells.add(node.name)
            for method in graph_methods(node):
                if method.name in ("construct", "bprop"):
                    _check_first_parameter(method, node.name, lines, findings, path)
                scan(method, node.name, method.name == "construct")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_jit(node, by_call):
            scan(node, node.name, False)
    return sorted(set(findings), key=lambda f: (f.line, f.col, f.rule))


def _check_first_parameter(method: Function, owner: str, lines: list[str], findings: list[Any],
                           path: str) -> None:
    """MSG006: construct/bprop whose first parameter is not self."""
    params = method.args.posonlyargs + method.args.args
    static = any(dotted(d) == "staticmethod" for d in method.decorator_list)
    if static or not params or params[0].arg == "self" or _suppressed(lines, method.lineno, "MSG006"):
        return
    findings.append(LintFinding(path, method.lineno, method.col_offset + 1, "MSG006", owner,
                                RULES["MSG006"].format(name=f"{owner}.{method.name}", first=params[0].arg,
                                                       error=MSG006_ERRORS[method.name])))


def lint_file(path: Path) -> list[LintFinding]:
    """The file's findings; UnreadableSource for a file that is not readable Python source."""
    if not path.is_file():
        raise UnreadableSource(f"{path}: not a regular file")
    try:
        with tokenize.open(path) as handle:  # as Python reads it: a BOM, a PEP 263 coding line
            source = handle.read()
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise UnreadableSource(f"{path}: cannot read as Python source: {exc}") from None
    return lint_source(source, str(path))
