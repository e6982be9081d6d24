"""MSG008 outside graph code: a ``mindspore.nn`` name MindSpore no longer has, wherever the file uses it (pure AST).

``self.up = nn.ResizeBilinear()`` in ``__init__`` fails before any mode matters: the
cell cannot be built (AttributeError in both modes, measured on MindSpore 2.10 and
2.7.2); ``from mindspore.nn import ResizeBilinear`` fails at import. Graph code's own
uses are reported by the visitor; this finds the others.
"""
from __future__ import annotations

import ast
import re
from typing import Iterator

from . import nn_classes
from .visitor import dotted

_GUARD = re.compile(r"version|hasattr", re.IGNORECASE)
_FALLBACK_ERRORS = {"ImportError", "ModuleNotFoundError", "AttributeError", "Exception", "BaseException"}
_CAPITALISED = re.compile(r"\b(\w+)\s*\.\s*([A-Z]\w*)")  # nn.ResizeBilinear


def _missing(qualified: str) -> str:
    """The class name when ``qualified`` is ``mindspore.nn.<a name MindSpore lacks>``; '' otherwise."""
    module, _, name = qualified.rpartition(".")
    return name if module == "mindspore.nn" and nn_classes.kind(name) == "missing" else ""


def missing_nn_names(tree: ast.Module, aliases: dict[str, str],
                     source: str) -> Iterator[tuple[ast.expr | ast.stmt, str, str, str]]:
    """(node, owner, name as written, the class name) for each use of a name mindspore.nn lacks."""
    nn_names = {alias for alias, module in aliases.items() if module == "mindspore.nn"}
    used = {name for root, name in _CAPITALISED.findall(source) if root in nn_names}
    if "mindspore.nn import" not in source and not any(nn_classes.kind(name) == "missing" for name in used):
        return  # the usual case, found without walking the tree
    for statement in tree.body:
        owner = statement.name if isinstance(statement, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
            else "<module>"
        guarded = _version_guarded(statement)
        for node in ast.walk(statement):
            if id(node) in guarded:
                continue
            if isinstance(node, ast.ImportFrom) and node.module == "mindspore.nn" and node.level == 0:
                for alias in node.names:
                    if _missing(f"mindspore.nn.{alias.name}"):
                        yield node, owner, f"from mindspore.nn import {alias.name}", alias.name
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                root, _, rest = dotted(node).partition(".")
                name = _missing(f"{aliases[root]}.{rest}") if root in aliases else ""
                if name:
                    yield node, owner, dotted(node), name


def _catches_a_missing_name(handler: ast.ExceptHandler) -> bool:
    """``except ImportError`` / ``AttributeError`` / ``Exception`` / bare: the try falls back when the name is gone."""
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return caught is None or any(isinstance(n, ast.Name) and n.id in _FALLBACK_ERRORS for n in names)


def _version_guarded(statement: ast.AST) -> set[int]:
    """Nodes under a try that falls back (see above), or under a test of the MindSpore version or of what nn
    has: ``ops.ResizeBilinearV2() if is_ms_version_2() else nn.ResizeBilinear()`` (mindocr) never reaches
    the old name on a new MindSpore."""
    guarded: set[int] = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Try) and any(_catches_a_missing_name(handler) for handler in node.handlers):
            guarded.update(id(inner) for branch in node.body for inner in ast.walk(branch))
        if isinstance(node, (ast.If, ast.IfExp)) and _GUARD.search(ast.unparse(node.test)):
            branches = [*node.body, *node.orelse] if isinstance(node, ast.If) else [node.body, node.orelse]
            guarded.update(id(inner) for branch in branches for inner in ast.walk(branch))
    return guarded
