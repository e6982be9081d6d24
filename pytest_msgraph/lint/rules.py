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
from .missing_names import missing_nn_names
from .nn_classes import missing_fix, missing_words
from .project import Module, Project
from .reach import JIT, class_kind, names_one_of, reached
from .visitor import GraphCodeVisitor, dotted

_DEPTH = 6  # calls followed at most this deep from graph code
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


def _names_jit(node: ast.AST) -> bool:
    return names_one_of(node, JIT)


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


@dataclasses.dataclass
class _Place:
    """What the rules need of one module: its display path, lines (for ignore comments), imports and classes."""
    module: Module
    path: str
    aliases: dict[str, str]
    classes: dict[str, str]  # top-level class -> "Cell" | "exception" | "class" (bases in other modules count)
    by_call: set[str]


def _place(project: Project, module: Module, path: str) -> _Place:
    key = ("place", id(module))  # the place holds the module: the id stays its own
    if key not in project.derived:
        classes = {name: class_kind(project, module, node) for name, node in module.classes.items()}
        jitted = _jitted_by_call(module.tree) if any(n in module.source for n in JIT) else set()
        project.derived[key] = _Place(module, path, _module_aliases(module.tree), classes, jitted)
    place: _Place = project.derived[key]
    return place if place.path == path else dataclasses.replace(place, path=path)


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parsed(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except (SyntaxError, ValueError) as exc:  # ValueError: a NUL byte (a binary file)
        lineno = getattr(exc, "lineno", None)
        where = f" (line {lineno})" if lineno else ""
        reason = exc.args[0] if exc.args else exc
        raise UnreadableSource(f"{path}: cannot parse{where}: {type(exc).__name__}: {reason}; "
                               "the lint checks nothing in a file Python cannot parse") from None


def lint_source(source: str, path: str, project: Optional[Project] = None) -> list[LintFinding]:
    """The findings in one file's graph code, and in the project's helpers it calls (``project`` parses
    each other file once across calls; a fresh one is made when None)."""
    project = project if project is not None else Project()
    known = project.module(Path(path)) if project.knows(Path(path)) else None
    module = known if known is not None and known.source == source else \
        project.module(Path(path), source, _parsed(source, path))
    assert module is not None  # parsed above
    tree = module.tree
    here = _place(project, module, path)
    findings: list[LintFinding] = []
    scanned: set[int] = set()  # a construct decorated with @ms.jit is one graph function, linted once

    def scan(place: _Place, function: Function, owner: str, is_construct: bool, chain: tuple[str, ...] = (),
             cell: Optional[tuple[Module, ast.ClassDef]] = None) -> None:
        if id(function) in scanned:
            return
        scanned.add(id(function))
        lines = place.module.lines
        said = f"in {chain[-1]}, which graph code calls ({' -> '.join(chain)}): " if len(chain) > 1 else ""

        def report(node: Any, rule: str, values: dict[str, Any], fix: Optional[str] = None) -> None:
            if _suppressed(lines, node.lineno, rule) or (said and rule == "MSG002"):
                return  # MSG002 needs to know which arguments are per call: only in construct itself
            text = RULES[rule].format(**values) if fix is None else f"{DIAGNOSES[rule].format(**values)} {fix}"
            findings.append(LintFinding(place.path, node.lineno, node.col_offset + 1, rule, owner, said + text,
                                        fix or ""))
        visitor = GraphCodeVisitor(function, place.aliases, report, place.classes, is_construct)
        visitor.visit_root()
        if len(chain) > _DEPTH:
            return
        for name, target, helper in reached(project, place.module, visitor.calls, cell):
            scan(_place(project, target, _shown_path(target.path)), helper, owner, False, chain + (name,), cell)

    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and class_kind(project, module, node) == "Cell":
            for method in graph_methods(node):
                if method.name in ("construct", "bprop"):
                    _check_first_parameter(method, node.name, module.lines, findings, path)
                scan(here, method, node.name, method.name == "construct", (f"{node.name}.{method.name}",),
                     (module, node))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_jit(node, here.by_call):
            scan(here, node, node.name, False, (node.name,))
    said = {(f.line, f.col) for f in findings if f.rule == "MSG008"}  # graph code's uses, said by the visitor
    for node, owner, shown, name in missing_nn_names(tree, here.aliases, module.source):
        if (node.lineno, node.col_offset + 1) not in said and not _suppressed(module.lines, node.lineno, "MSG008"):
            said.add((node.lineno, node.col_offset + 1))
            findings.append(LintFinding(path, node.lineno, node.col_offset + 1, "MSG008", owner,
                                        f"{DIAGNOSES['MSG008'].format(**missing_words(shown, name))} "
                                        f"{missing_fix(name)}", missing_fix(name)))
    return sorted(set(findings), key=lambda f: (f.path != path, f.path, f.line, f.col, f.rule))


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


def lint_file(path: Path, project: Optional[Project] = None) -> list[LintFinding]:
    """The file's findings; UnreadableSource for a file that is not readable Python source."""
    if not path.is_file():
        raise UnreadableSource(f"{path}: not a regular file")
    try:
        with tokenize.open(path) as handle:  # as Python reads it: a BOM, a PEP 263 coding line
            source = handle.read()
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise UnreadableSource(f"{path}: cannot read as Python source: {exc}") from None
    return lint_source(source, str(path), project)
