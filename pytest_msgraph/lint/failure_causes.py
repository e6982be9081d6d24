"""Which known semantic difference between the modes explains an error one mode raised (pure).

mode_parity's pair verdict (one variant raises, its twin passes) asks this about the
failing line: MindSpore's compile message first (a graph-only rejection has a
recognisable text), then the lint's findings on that very line, then what the line
itself shows. No match means no cause: the verdict then shows the two outcomes only.
"""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any, Optional

from ..core.graph_code import MODE_DEPENDENT_METHODS
from .messages import BUILT_EFFECTS, DIAGNOSES, EXCEPTION_FIX, FIXES
from .rules import lint_file

# (pattern in the error text, rule or name, diagnosis, fix): the graph-only rejections measured on 2.10.
_LAMBDA = ("an inline lambda passed to a call (ms.grad(lambda x: ...), value_and_grad(lambda ...)): GRAPH_MODE "
           "cannot parse it ('Parse Lambda Function Fail'); PYNATIVE_MODE runs it.")
_TEXTS = (
    ("Unsupported statement 'Try'", "MSG001", DIAGNOSES["MSG001"], FIXES["MSG001"]),
    ("Parse Lambda Function Fail", "lambda", _LAMBDA, "Define it with def (a named inner function works)."),
    ("Unsupported exception type", "MSG007", "a user exception class raised in graph code: "
     + BUILT_EFFECTS["exception"].format(name="it"), EXCEPTION_FIX),
    ("GetShapeVector()", "MSG011", DIAGNOSES["MSG011"].format(name="Tensor.expand"), FIXES["MSG011"]),
    ("Unsupported expression 'NamedExpr'", "MSG012", DIAGNOSES["MSG012"].format(target="name"), FIXES["MSG012"]),
)
# What the failing line shows, when no lint rule covers it (the lint reads graph code only).
_LINES = (
    *((re.compile(rf"\.{name}\("), name, what, fix) for name, (what, fix) in MODE_DEPENDENT_METHODS.items()),
    (re.compile(r"\.(max|min)\(\s*-?\d"), "MSG009", DIAGNOSES["MSG009"].format(name="Tensor.max/min", args="axis"),
     FIXES["MSG009"]),
)
_UNPACK = ("a tuple unpack of the wrong length (w, _, = x.shape on a rank-3 tensor): GRAPH_MODE silently takes what "
           "fits, PYNATIVE_MODE raises.", "Unpack exactly as many names as the value has (w, _, _ = x.shape), or "
           "index it (x.shape[0]).")


# MindSpore's text for branches that return different types (measured on 2.10): the dtypes, then each branch's
# file and line ("true branch: ...\nIn file f.py:7, 12~34").
_JOIN_DTYPES = re.compile(r"Type Join Failed: dtype1 = (\w+), dtype2 = (\w+)")
_JOIN_BRANCH = re.compile(r"(true|false) branch: [^\n]*\nIn file (.+?):(\d+)")


def branch_join_cause(text: str) -> Optional[dict[str, Any]]:
    """{"rule", "cause", "fix", "path", "line"} for GRAPH_MODE's 'Type Join Failed' (an if whose branches return
    different dtypes), placed at the first branch; None for any other error."""
    dtypes = _JOIN_DTYPES.search(text)
    branches = {kind: (path, int(line)) for kind, path, line in _JOIN_BRANCH.findall(text)}
    if dtypes is None or len(branches) != 2:
        return None
    first, second = branches["true"], branches["false"]
    name = Path(first[0]).name
    return {"rule": "type-join",
            "cause": (f"the two branches of an if give different dtypes ({dtypes.group(1)} and {dtypes.group(2)}; "
                      f"the if branch at line {first[1]}, the else branch at line {second[1]} of {name}):"
                      " GRAPH_MODE compiles both and must join them into one type, PYNATIVE_MODE runs only the branch "
                      "taken."),
            "fix": "Return one dtype from both branches: cast in each (y = x.astype(ms.int32) in the else branch too), "
                   "or cast once after the if.",
            "path": first[0], "line": first[1]}


def known_cause(error: str, path: Optional[str], line: Optional[int]) -> Optional[dict[str, Any]]:
    """{"rule", "cause", "fix"} when ``error`` (type and message) at ``path:line`` matches a known difference."""
    for pattern, rule, cause, fix in _TEXTS:
        if pattern in error:
            return {"rule": rule, "cause": cause, "fix": fix}
    code = _line(path, line)
    if path and line and code is not None:
        try:
            findings = [f for f in _own_findings(path) if f.line == line]
        except Exception:  # an unreadable file: no cause from the lint, never a crash of the verdict
            findings = []
        if findings:
            found = findings[0]
            cause = found.message[: -len(found.fix)].rstrip() if found.message.endswith(found.fix) else found.message
            return {"rule": found.rule, "cause": cause, "fix": found.fix}
        for compiled, rule, cause, fix in _LINES:
            if compiled.search(code):
                return {"rule": rule, "cause": cause, "fix": fix}
        for made in _where_values_were_made(path, line):  # the failing value may come from a line above
            for compiled, rule, cause, fix in _LINES:
                if compiled.search(_line(path, made) or ""):
                    return {"rule": rule, "cause": cause, "fix": fix, "line": made, "failed_at": line}
    if "values to unpack" in error:
        return {"rule": "unpack", "cause": _UNPACK[0], "fix": _UNPACK[1]}
    return None


def _where_values_were_made(path: str, line: int) -> list[int]:
    """The lines, in the function holding ``line``, of the last assignment above it to each name that line reads."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and node.lineno <= line <= (node.end_lineno or node.lineno)]
    if not functions:
        return []
    function = max(functions, key=lambda node: node.lineno)  # the innermost
    read = {node.id for node in ast.walk(function) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            and node.lineno == line}
    made: dict[str, int] = {}
    for node in ast.walk(function):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.lineno < line:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and name.id in read and node.lineno > made.get(name.id, 0):
                        made[name.id] = node.lineno
    return sorted(set(made.values()), reverse=True)  # the nearest first


def rule_places(path: Optional[str], rule: str, line: Optional[int] = None) -> list[tuple[str, int]]:
    """(file, line) where the lint finds ``rule`` on the path compiled from ``path:line``: in the class (or function)
    around that line, else in the helpers and bases the file reaches (another module's function construct calls),
    else anywhere in the file. MindSpore names the call, not the rejected statement."""
    if not path:
        return []
    try:
        here = Path(path).resolve()
        stat = here.stat()
        found = [f for f in _findings_in(str(here), stat.st_mtime_ns, stat.st_size) if f.rule == rule]
    except Exception:
        return []
    own = [(str(here), f.line) for f in found if Path(f.path).resolve() == here]
    span = _enclosing(here, line)
    around = [place for place in own if span and span[0] <= place[1] <= span[1]]
    helpers = sorted({(str(Path(f.path).resolve()), f.line) for f in found if Path(f.path).resolve() != here})
    return around or helpers or own


def _enclosing(path: Path, line: Optional[int]) -> Optional[tuple[int, int]]:
    """(first, last) line of the innermost class around ``line``, else of the innermost function; None if neither."""
    if not line:
        return None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None
    for kinds in ((ast.ClassDef,), (ast.FunctionDef, ast.AsyncFunctionDef)):
        spans = [(node.lineno, node.end_lineno or node.lineno) for node in ast.walk(tree)
                 if isinstance(node, kinds) and node.lineno <= line <= (node.end_lineno or node.lineno)]
        if spans:
            return max(spans)
    return None


def _own_findings(path: str) -> tuple[Any, ...]:
    """The lint's findings in ``path`` itself (it also reports the helpers and bases the file reaches, elsewhere)."""
    here = Path(path).resolve()
    stat = here.stat()
    return tuple(f for f in _findings_in(str(here), stat.st_mtime_ns, stat.st_size) if Path(f.path).resolve() == here)


@functools.lru_cache(maxsize=16)  # a verdict asks twice (its cause, then the cause's line); the file's stat keys it
def _findings_in(path: str, mtime_ns: int, size: int) -> tuple[Any, ...]:
    return tuple(lint_file(Path(path)))


def _line(path: Optional[str], line: Optional[int]) -> Optional[str]:
    if not path or not line:
        return None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return lines[line - 1] if 0 < line <= len(lines) else None
