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
from typing import Any, Callable, Optional

from ..core.graph_code import Function, graph_methods

_DIAGNOSES = {
    "MSG001": "try/except in graph code: GRAPH_MODE rejects the statement at compile time "
              "(RuntimeError: Unsupported statement 'Try').",
    "MSG002": "{name}() in graph code: GRAPH_MODE cannot compile numpy/scipy. On a tensor it runs "
              "through the Python fallback under the default LAX syntax (outside the graph, no gradient) "
              "and is a compile error under STRICT; on constants it runs once, at compile time.",
    "MSG003": "{name}() in graph code: in GRAPH_MODE numpy draws once, at compile time, and the graph "
              "reuses those numbers on every call (PYNATIVE_MODE draws anew).",
    "MSG004": "{name} in graph code: threads and processes do not exist in a graph; in GRAPH_MODE the "
              "body runs once, at compile time.",
    "MSG005": ".asnumpy() in graph code: GRAPH_MODE rejects it under STRICT syntax; under LAX it runs "
              "through the Python fallback and cuts the gradient.",
    "MSG006": "{name}'s first parameter is {first!r}, not 'self': PYNATIVE_MODE runs it, GRAPH_MODE fails under "
              "both syntax levels with a misleading 'TypeError: {error}'.",
    "MSG007": "{name}(...) builds a {what} inside graph code. {effect}",
}
# Each rule's advice, apart: the summary prints it once per rule, not once per finding.
FIXES = {
    "MSG001": "Check the condition with ops before the call, or handle the error outside construct.",
    "MSG002": "Use mindspore.ops or Tensor methods, or compute the constant in __init__.",
    "MSG003": "Use MindSpore's random ops (ops.standard_normal, ops.uniform, nn.Dropout).",
    "MSG004": "Keep concurrency outside the network.",
    "MSG005": "Keep the computation in Tensor ops.",
    "MSG006": "Name it self.",
    "MSG007": "Build it in __init__ and call it in construct (the seed guide: no custom types in graph code).",
}
RULES = {rule: f"{text} {FIXES[rule]}" for rule, text in _DIAGNOSES.items()}
# MSG006: what GRAPH_MODE says, as measured on MindSpore 2.10 (both syntax levels).
_MSG006_ERRORS = {
    "construct": "The parameters number of the function is 2, but the number of provided arguments is 1",
    "bprop": "The number of parameter of this primal function is 1, but the number of parameters of bprop is 2",
}
# MSG007's effect, as measured on MindSpore 2.10 for each kind of class.
_BUILT_EFFECTS = {
    "Cell": "Its parameters are never trained (not in trainable_params()); PYNATIVE_MODE draws new random weights "
            "on every call, GRAPH_MODE once at compile time, so the two modes compute different things; built "
            "from a tensor (the seed's nn.Dense(x)) it is a TypeError in GRAPH_MODE.",
    "class": "Under the default LAX syntax GRAPH_MODE runs it through the Python fallback (outside the graph); under "
             "STRICT it fails when given a tensor ('the inputs should be constant').",
}
_NUMPY_MODULES = ("numpy", "scipy")
_THREAD_MODULES = ("threading", "multiprocessing", "concurrent")
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

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.rule} {self.message}"


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


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


class _GraphCodeVisitor(ast.NodeVisitor):
    """Collects findings in one graph function body."""

    def __init__(self, aliases: dict[str, str], report: Callable[[ast.AST, str, dict[str, Any]], None],
                 module_classes: dict[str, bool]) -> None:
        self.aliases = aliases
        self.report = report
        self.module_classes = module_classes  # classes defined in this file: name -> is a Cell

    def built_class(self, func: ast.AST, qualified: str) -> Optional[str]:
        """'Cell' or 'class' when the call builds one (a class of this file, or mindspore.nn's); else None."""
        if isinstance(func, ast.Name) and func.id in self.module_classes:
            return "Cell" if self.module_classes[func.id] else "class"
        name = qualified.rpartition(".")[2]
        if qualified.startswith("mindspore.nn.") and name[:1].isupper():
            return "Cell"
        return None

    def _qualified(self, node: ast.AST) -> str:
        dotted = _dotted(node)
        root, _, rest = dotted.partition(".")
        module = self.aliases.get(root)
        return f"{module}.{rest}".rstrip(".") if module else ""

    def visit_Try(self, node: ast.AST) -> None:
        self.report(node, "MSG001", {})
        self.generic_visit(node)

    visit_TryStar = visit_Try

    def visit_Call(self, node: ast.Call) -> None:
        qualified = self._qualified(node.func)
        top = qualified.split(".")[0]
        shown = _dotted(node.func)
        built = self.built_class(node.func, qualified)
        if built is not None:
            self.report(node, "MSG007", {"name": shown, "what": "Cell" if built == "Cell" else "user-defined class",
                                         "effect": _BUILT_EFFECTS[built]})
        elif top in _NUMPY_MODULES:
            self.report(node, "MSG003" if ".random" in f".{qualified}" else "MSG002", {"name": shown})
        elif top in _THREAD_MODULES:
            self.report(node, "MSG004", {"name": shown})
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "asnumpy":
            self.report(node, "MSG005", {})
        self.generic_visit(node)


def _is_cell_class(node: ast.ClassDef, cells: set[Any]) -> bool:
    for base in node.bases:
        name = _dotted(base)
        if name.split(".")[-1].endswith("Cell") or name in cells:
            return True
    return False


def _is_jit(node: Function) -> bool:
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if _dotted(target).split(".")[-1] in _JIT_NAMES:
            return True
    return False


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
    findings: list[LintFinding] = []
    cells: set[Any] = set()

    def scan(function: Function, owner: str) -> None:
        def report(node: Any, rule: str, values: dict[str, Any]) -> None:  # any node with a position
            if not _suppressed(lines, node.lineno, rule):
                findings.append(LintFinding(path, node.lineno, node.col_offset + 1, rule, owner,
                                            RULES[rule].format(**values)))
        visitor = _GraphCodeVisitor(aliases, report, module_classes)
        for statement in function.body:
            visitor.visit(statement)

    module_classes = {node.name: _is_cell_class(node, set()) for node in tree.body if isinstance(node, ast.ClassDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _is_cell_class(node, cells):
            cells.add(node.name)
            for method in graph_methods(node):
                if method.name in ("construct", "bprop"):
                    _check_first_parameter(method, node.name, lines, findings, path)
                scan(method, node.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_jit(node):
            scan(node, node.name)
    return sorted(set(findings), key=lambda f: (f.line, f.col, f.rule))


def _check_first_parameter(method: Function, owner: str, lines: list[str], findings: list[Any],
                           path: str) -> None:
    """MSG006: construct/bprop whose first parameter is not self."""
    params = method.args.posonlyargs + method.args.args
    static = any(_dotted(d) == "staticmethod" for d in method.decorator_list)
    if static or not params or params[0].arg == "self" or _suppressed(lines, method.lineno, "MSG006"):
        return
    findings.append(LintFinding(path, method.lineno, method.col_offset + 1, "MSG006", owner,
                                RULES["MSG006"].format(name=f"{owner}.{method.name}", first=params[0].arg,
                                                       error=_MSG006_ERRORS[method.name])))


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
