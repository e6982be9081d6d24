"""The user's project as the lint sees it: its modules parsed once, and their imports resolved (pure AST).

``from .base import Block`` and ``from pkg.layers import helper`` name a class or a
function in another file of the same project. The lint follows them to know that
``class Net(Block)`` is a Cell, and to read the helpers that graph code calls. A
module is found next to the importing file (relative imports) or under the folder
that holds the file's top package (absolute imports); a name that resolves to no
file of the project (numpy, mindspore, a missing file) is not the project's.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import tokenize
from pathlib import Path
from typing import Any, Optional, Union

from ..core.graph_code import Function

_INSTALLED = ("site-packages", "dist-packages")  # where every installed package sits side by side
_CHAIN = 8  # re-exports followed at most this deep (``__init__.py`` importing from a submodule)


@dataclasses.dataclass
class Module:
    path: Path
    tree: ast.Module
    source: str
    lines: list[str]
    classes: dict[str, ast.ClassDef]
    functions: dict[str, Function]
    imports: dict[str, tuple[Optional[Path], Optional[str]]]  # local name -> (module file, name in it or None)


Definition = tuple[Module, Union[ast.ClassDef, Function]]


class Project:
    """Parses each file once per lint run; ``find`` answers what a module-level name of a file stands for."""

    def __init__(self) -> None:
        self._modules: dict[Path, Optional[Module]] = {}
        self.derived: dict[tuple[Any, ...], Any] = {}  # what the rules compute once per module (its imports...)

    def knows(self, path: Path) -> bool:
        return path in self._modules or path.resolve() in self._modules

    def module(self, path: Path, source: Optional[str] = None, tree: Optional[ast.Module] = None) -> Optional[Module]:
        """The parsed module at ``path`` (parsed once; ``source`` given: the text the lint is reading now)."""
        path = path.resolve()
        if path in self._modules:
            cached = self._modules[path]
            if source is None or (cached is not None and cached.source == source):
                return cached
            self.derived.clear()  # the file's text changed under the same name: what was derived may be stale
        found: Optional[Module] = None
        try:
            if source is None:
                with tokenize.open(path) as handle:
                    source = handle.read()
            tree = tree or ast.parse(source, filename=str(path))
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            tree = None  # a project file the lint cannot read is reported when it is linted itself
        if tree is not None and source is not None:
            found = Module(path, tree, source, source.splitlines(),
                           {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)},
                           {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))},
                           self._imports(path, tree))
        self._modules[path] = found
        return found

    def _imports(self, path: Path, tree: ast.Module) -> dict[str, tuple[Optional[Path], Optional[str]]]:
        found: dict[str, tuple[Optional[Path], Optional[str]]] = {}
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                base = _module_file(path, node.module, node.level)
                for alias in node.names:
                    local = alias.asname or alias.name
                    # ``from . import utils``: a submodule, when the package has a file of that name
                    sub = _module_file(path, f"{node.module}.{alias.name}" if node.module else alias.name, node.level)
                    found[local] = (sub, None) if sub is not None else (base, alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:  # ``import pkg.utils as U``; a plain ``import pkg.utils`` binds pkg
                        found[alias.asname] = (_module_file(path, alias.name, 0), None)
        return {name: where for name, where in found.items() if where[0] is not None}

    def find(self, module: Module, name: str) -> Optional[Definition]:
        """The class or function ``name`` (``Block``, ``utils.helper``) stands for in ``module``, if the project's."""
        key = ("find", module.path, name)
        if key not in self.derived:
            self.derived[key] = self._find(module, name)
        found: Optional[Definition] = self.derived[key]
        return found

    def _find(self, module: Module, name: str) -> Optional[Definition]:
        head, _, rest = name.partition(".")
        for _ in range(_CHAIN):
            if not rest and head in module.classes:
                return module, module.classes[head]
            if not rest and head in module.functions:
                return module, module.functions[head]
            file, imported = module.imports.get(head, (None, None))
            target = self.module(file) if file is not None else None
            if target is None:
                return None
            if imported is None:  # a module: its attribute is the name
                if not rest or "." in rest:
                    return None
                module, head, rest = target, rest, ""
            else:
                module, head = target, imported
        return None


def _package_root(folder: Path) -> Path:
    """The folder that holds the top package the file is in (where ``import pkg.x`` starts)."""
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder


def _module_file(path: Path, module: Optional[str], level: int) -> Optional[Path]:
    return _module_in(path.parent, module, level)


@functools.lru_cache(maxsize=4096)  # the files of one package import the same modules
def _module_in(folder: Path, module: Optional[str], level: int) -> Optional[Path]:
    if level:
        for _ in range(level - 1):
            folder = folder.parent
        starts = [folder]
    else:
        root = _package_root(folder)
        starts = [root, folder]  # installed layout, or a script beside its modules
        top = folder.relative_to(root).parts[:1]
        if root.name in _INSTALLED and module and (module.split(".")[0],) != top:
            return None  # another installed package (mindspore, numpy): not the project's
    parts = module.split(".") if module else []
    for start in starts:
        where = start.joinpath(*parts)
        for candidate in (where.with_suffix(".py") if parts else None, where / "__init__.py"):
            if candidate is not None and candidate.is_file():
                return candidate.resolve()
    return None
