"""Every private name of pytest, pytest-xdist, pluggy, MindSpore (or Python) the plugin touches is listed here.

Issue 37 item 4: docs/architecture.md lists each place that reads or writes a private
attribute of another package; this test keeps that list complete. It walks every
``pytest_msgraph/**/*.py`` with ``ast`` (nothing is imported: no pytest internals, no
MindSpore) and collects, per module, each *foreign private name*:

* ``obj._name`` (one leading underscore, not a dunder), read, written or called, on any
  object but the plugin's own (see below);
* ``getattr``/``setattr``/``hasattr``/``delattr(obj, "_name", ...)``, ``vars(obj)["_name"]``,
  ``vars(obj).get("_name")`` and ``obj.__dict__["_name"]`` with a string literal, same rule;
* a string literal ``"_Name"`` compared with ``==``/``!=``/``in`` (a private class or
  function name recognised by name: ``type(op).__name__ == "_Grad"``);
* imports from a private module or of a private name: ``from _pytest.main import x``
  (recorded as ``_pytest.main.x``), ``import mindspore._c_expression``, ``from m import _f``;
* a call with a private keyword argument the plugin's own functions do not take
  (``pytest.skip.Exception(reason, _use_item_location=True)``);
* a ``def _name`` in a class with a base from another package (not the standard library,
  not the plugin): an override of that package's private method (xdist's ``_split_scope``);
* reads of another function's hidden state: ``__closure__``, ``co_freevars``,
  ``cell_contents``, ``f_locals`` (MindSpore's ``after_grad`` closure, its grad frames).

The plugin's own private names are recognised by *where* they are used, not only by their
spelling, so that a MindSpore attribute that happens to share a name with one of the
plugin's (``_context``) is still seen:

* ``self._x`` / ``cls._x`` (the first parameter of a method, inside the method and the
  functions nested in it, and local aliases such as ``probe = self``) is the plugin's own
  when class ``C`` or a base class the plugin defines has ``_x``: a method, a class-body
  assignment, or a ``self._x = ...`` in any of its methods. Otherwise it is inherited from
  the foreign base (xdist's ``self._reschedule``) and flagged;
* ``mod._x`` where ``mod`` is a name imported from the plugin itself (a relative import)
  is the plugin's own;
* any other ``obj._x`` is flagged, whatever ``obj`` is: the plugin does not read private
  attributes of its own objects from outside their class (ruff's SLF001 rule), so a hit on
  another object is another package's name. A future plugin-internal one either becomes
  public or is listed below with "(own)";
* a private keyword is the plugin's own when some plugin function has a parameter of that
  name; a compared string when the plugin assigns it to a module-level constant
  (``MODE_PARAM = "_msgraph_mode"``) or defines that name.

Not seen (say so in docs/architecture.md instead): names built at run time
(``vars(cell)`` keys that contain "hook" in ``checks/builtin/parity/localise.py``, every
``functools.lru_cache`` in ``mindspore.*`` in ``mindspore_side/session_end.py``), strings
handed to a lookup helper (``mindspore_side/internals.py``'s ``Place`` tables, resolved with
``getattr`` on dotted names), and non-underscore attributes that are still undocumented
(xdist's ``assigned_work``, MindSpore's ``_JitExecutor.fn``).

``ALLOWED`` is the list; the second test fails when a listed name is no longer used where it
is listed, so the list cannot go stale. Paths are relative to ``pytest_msgraph/``.
"""
from __future__ import annotations

import ast
import builtins
import functools
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import pytest_msgraph

PACKAGE = Path(pytest_msgraph.__file__).parent

# {module path relative to pytest_msgraph/: {foreign private names it uses}}: docs/architecture.md's table.
ALLOWED: dict[str, set[str]] = {
    # --- pytest ---------------------------------------------------------------------------------------
    "pairs/idle_variants.py": {"_fixtureinfo"},  # which fixtures a variant requested (busy-fixture test)
    "pairs/fixture_modes.py": {"_fixtureinfo"},  # the wider fixtures an item uses (made again in its mode)
    "pairs/ordering.py": {"_arg2scope"},  # a mode parameter's scope (keep pytest's order when wider)
    "pairs/selection.py": {  # the user's -k / -m / --deselect applied again to a dropped twin
        "_pytest.main.pytest_collection_modifyitems", "_pytest.mark.deselect_by_keyword",
        "_pytest.mark.deselect_by_mark"},
    "pytest_side/compile_failures.py": {  # MindSpore's message put first in a compile failure's report
        "_pytest._code.code.ExceptionRepr", "_pytest._code.code.ReprEntryNative"},
    "pytest_side/lifecycle.py": {"_use_item_location"},  # a plugin skip reported at the test's location
    "pytest_side/late_failures.py": {"_set_main_color"},  # the final line's colour after a late failure
    "pytest_side/state.py": {"_tmp_path_factory"},  # the basetemp that holds MindSpore's compile artifacts
    "pytest_side/path_options.py": {  # rootdir and ini file chosen again without --ms-report's value
        "_pytest.config.findpaths.determine_setup", "_rootpath", "_inipath", "_inicfg", "_inicache", "_parser"},
    # --- pytest-xdist ---------------------------------------------------------------------------------
    "pairs/xdist_scheduling.py": {"_split_scope", "_reschedule"},  # LoadScopeScheduling's unit and requeue
    # --- MindSpore ------------------------------------------------------------------------------------
    "mindspore_side/internals.py": {  # the 2.7/2.8 grad executor class; the GRAPH_MODE grad closure's free variables
        "_PyNativeExecutor", "co_freevars"},
    "mindspore_side/context_guard.py": {  # mindspore.context: the context object; the mode read cheaply (eagerly())
        "_context", "_get_mode"},
    "mindspore_side/graph_inspection.py": {  # MindIR of a graph: a Cell's, a _JitExecutor's (a GRAPH_MODE grad)
        "_cell_graph_executor", "_get_func_graph_proto", "_graph_executor"},
    "mindspore_side/probes/hub.py": {"_get_mode"},  # the mode without get_context's cost
    "checks/builtin/parity/repro.py": {"_amp_level"},  # the amp level auto_mixed_precision notes on a network
    "mindspore_side/probes/compiles.py": {"_CellGraphExecutor", "_JitExecutor"},  # compile watching
    "mindspore_side/probes/grad_calls.py": {  # grad calls in both modes
        "_pynative_func_grad_forward", "_pynative_func_grad_backward",  # 2.9+ PyNative grads
        "_Grad", "_pynative_forward_run",  # 2.7/2.8 PyNative grads; the _Grad class name (api label)
        "_JitExecutor",  # GRAPH_MODE grad functions
        "f_locals",  # the grad op in MindSpore's frames (api label)
        "_getframe",  # Python: sys._getframe
    },
    "mindspore_side/probes/method_calls.py": {"_getframe"},  # whose code called a Cell's method (Python)
    "mindspore_side/probes/deferred_reads.py": {"_getframe"},  # whose code read a value (Python)
    "mindspore_side/probes/locations.py": {  # after_grad's free variables (fn, grad_, weights, grad_position)
        "__closure__", "co_freevars", "cell_contents",
        "_getframe",  # Python: sys._getframe
    },
    # --- Python ---------------------------------------------------------------------------------------
    "mindspore_side/session_end.py": {"_lru_cache_wrapper"},  # functools._lru_cache_wrapper: MindSpore's memos
}

PRIVATE = re.compile(r"^_[A-Za-z0-9]\w*$")  # one leading underscore, not "_" alone
INTROSPECTION = frozenset({"__closure__", "co_freevars", "cell_contents", "f_locals"})
ATTR_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"typing_extensions"}
BUILTINS = frozenset(dir(builtins))


def _private(name: object) -> bool:
    return isinstance(name, str) and PRIVATE.match(name) is not None and not name.endswith("__")


def _sources(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


# -- what the plugin defines ------------------------------------------------------------------------------

class _Class:
    def __init__(self, node: ast.ClassDef, imports: dict[str, str]) -> None:
        self.name = node.name
        self.own: set[str] = set()
        self.bases = [b for b in node.bases]
        self.imports = imports
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.own.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                self.own.update(n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name))
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                self.own.add(stmt.target.id)
        for method in node.body:
            if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)) or not method.args.args:
                continue
            me = method.args.args[0].arg
            for sub in ast.walk(method):
                targets = []
                if isinstance(sub, ast.Assign):
                    targets = sub.targets
                elif isinstance(sub, (ast.AnnAssign, ast.AugAssign)):
                    targets = [sub.target]
                elif isinstance(sub, (ast.For, ast.With)):
                    targets = [sub.target] if isinstance(sub, ast.For) else [i.optional_vars for i in sub.items
                                                                              if i.optional_vars is not None]
                for target in targets:
                    for n in ast.walk(target):
                        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == me:
                            self.own.add(n.attr)
                if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "setattr"
                        and len(sub.args) >= 2 and isinstance(sub.args[0], ast.Name) and sub.args[0].id == me
                        and isinstance(sub.args[1], ast.Constant)):
                    self.own.add(sub.args[1].value)


def _imports(tree: ast.Module) -> dict[str, str]:
    """{local name: where it comes from}: '.' + name for the plugin's own (relative imports), else the module."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                own = alias.name == "pytest_msgraph" or alias.name.startswith("pytest_msgraph.")
                found[local] = "." + alias.name if own else alias.name
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            own = node.level > 0 or module == "pytest_msgraph" or module.startswith("pytest_msgraph.")
            for alias in node.names:
                found[alias.asname or alias.name] = ("." if own else "") + f"{module}.{alias.name}"
    return found


class _Plugin:
    """The names the plugin defines, across the package."""

    def __init__(self, trees: dict[str, ast.Module]) -> None:
        self.classes: dict[str, list[_Class]] = defaultdict(list)
        self.params: set[str] = set()
        self.names: set[str] = set()  # every name the plugin defines (defs, classes, attributes, module names)
        self.strings: set[str] = set()  # private strings held in module-level constants: the plugin's own names
        for tree in trees.values():
            imports = _imports(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    info = _Class(node, imports)
                    self.classes[node.name].append(info)
                    self.names |= info.own | {node.name}
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    args = node.args
                    self.params.update(a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs])
                    if not isinstance(node, ast.Lambda):
                        self.names.add(node.name)
            for stmt in tree.body:
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    self.names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
                    value = stmt.value
                    for const in ast.walk(value) if value is not None else ():
                        if isinstance(const, ast.Constant) and _private(const.value):
                            self.strings.add(const.value)

    def own_of(self, name: str, seen: frozenset = frozenset()) -> set[str]:
        """What class ``name`` (any plugin class of that name) and its plugin-defined bases have."""
        own: set[str] = set()
        for info in self.classes.get(name, ()):
            own |= info.own
            for base in info.bases:
                base_name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
                if base_name in self.classes and base_name not in seen:
                    own |= self.own_of(base_name, seen | {name})
        return own

    def foreign_base(self, info: _Class) -> bool:
        """A base from another package than the standard library and the plugin."""
        for base in info.bases:
            root = base
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Call):  # NamedTuple("X", ...), a class factory
                root = root.func
            if not isinstance(root, ast.Name):
                return True
            source = info.imports.get(root.id)
            if source is None:
                if root.id in self.classes or root.id in BUILTINS:
                    continue
                return True
            if source.startswith("."):
                continue
            if source.split(".")[0] not in STDLIB:
                return True
        return False


# -- the walk -----------------------------------------------------------------------------------------------

class _Walk(ast.NodeVisitor):
    def __init__(self, plugin: _Plugin, imports: dict[str, str]) -> None:
        self.plugin = plugin
        self.imports = imports
        self.found: dict[str, list[int]] = defaultdict(list)
        self.me: dict[str, set[str]] = {}  # a self name -> what its class owns, in the current function

    def _hit(self, name: str, node: ast.AST) -> None:
        self.found[name].append(getattr(node, "lineno", 0))

    def _owned(self, base: ast.AST, name: str) -> bool:
        if isinstance(base, ast.Name):
            if base.id in self.me:
                return name in self.me[base.id]
            if self.imports.get(base.id, "").startswith("."):  # a plugin module or object imported by name
                return True
        return False

    # classes and methods: who is ``self``
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        own = self.plugin.own_of(node.name)
        foreign = self.plugin.foreign_base(_Class(node, self.imports))
        saved = self.me
        for stmt in node.body:
            self.me = {}  # a class body does not see the enclosing method's self
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if foreign and _private(stmt.name):
                    self._hit(stmt.name, stmt)  # overrides the foreign base's private method
                if stmt.args.args:
                    self.me[stmt.args.args[0].arg] = own
                self._body(stmt)
            else:
                self.visit(stmt)
        self.me = saved
        for expr in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(expr)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        """A function that is not a method: its parameters hide an enclosing method's ``self``."""
        saved = self.me
        self.me = dict(saved)
        args = node.args
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            self.me.pop(a.arg, None)
        self._body(node)
        self.me = saved

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def _body(self, node: ast.AST) -> None:
        """Local aliases of ``self`` first (``probe = self``; ``probe, x = self, y``), then the body."""
        saved = self.me
        self.me = dict(saved)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Assign) and len(sub.targets) == 1:
                target, value = sub.targets[0], sub.value
                if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) \
                        and len(target.elts) == len(value.elts):
                    pairs = list(zip(target.elts, value.elts))
                else:
                    pairs = [(target, value)]
                for t, v in pairs:
                    if isinstance(t, ast.Name) and isinstance(v, ast.Name) and v.id in self.me:
                        self.me[t.id] = self.me[v.id]
        for child in ast.iter_child_nodes(node):
            self.visit(child)
        self.me = saved

    def visit_Lambda(self, node: ast.Lambda) -> None:
        saved = self.me
        self.me = dict(saved)
        for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            self.me.pop(a.arg, None)
        self.generic_visit(node)
        self.me = saved

    # the accesses
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in INTROSPECTION:
            self._hit(node.attr, node)
        elif _private(node.attr) and not self._owned(node.value, node.attr):
            self._hit(node.attr, node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in ATTR_FUNCTIONS and len(node.args) >= 2:
            name = node.args[1].value if isinstance(node.args[1], ast.Constant) else None
            if name in INTROSPECTION or (_private(name) and not self._owned(node.args[0], name)):
                self._hit(name, node)
        # vars(obj).get("_x")
        if (isinstance(func, ast.Attribute) and func.attr == "get" and node.args and _vars_of(func.value) is not None
                and isinstance(node.args[0], ast.Constant) and _private(node.args[0].value)
                and not self._owned(_vars_of(func.value), node.args[0].value)):
            self._hit(node.args[0].value, node)
        for keyword in node.keywords:
            if keyword.arg and _private(keyword.arg) and keyword.arg not in self.plugin.params:
                self._hit(keyword.arg, keyword)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        owner = _vars_of(node.value)
        key = node.slice.value if isinstance(node.slice, ast.Constant) else None
        if owner is not None and _private(key) and not self._owned(owner, key):
            self._hit(key, node)
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for operand in [node.left, *node.comparators]:
            for const in ([operand] if isinstance(operand, ast.Constant) else
                          operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else []):
                value = getattr(const, "value", None)
                if _private(value) and value not in self.plugin.strings and value not in self.plugin.names:
                    self._hit(value, const)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if any(_private(part) for part in alias.name.split(".")):
                self._hit(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level > 0 or module.startswith("pytest_msgraph") or module == "__future__":
            return
        private_module = any(_private(part) for part in module.split("."))
        for alias in node.names:
            if private_module or _private(alias.name):
                self._hit(f"{module}.{alias.name}", node)


def _vars_of(node: ast.AST):
    """``obj`` of ``vars(obj)`` or ``obj.__dict__``, else None."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars" and node.args:
        return node.args[0]
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return node.value
    return None


@functools.lru_cache(maxsize=4)  # the two tests below walk the package once
def private_names(root: Path = PACKAGE) -> dict[str, dict[str, list[int]]]:
    """{module path relative to root: {foreign private name: [lines]}} for every module under root."""
    trees = {str(p.relative_to(root).as_posix()): ast.parse(p.read_text(), str(p)) for p in _sources(root)}
    plugin = _Plugin(trees)
    found = {}
    for module, tree in trees.items():
        walk = _Walk(plugin, _imports(tree))
        walk.visit(tree)
        if walk.found:
            found[module] = dict(walk.found)
    return found


# -- the tests ----------------------------------------------------------------------------------------------

def test_the_package_is_there():
    assert (PACKAGE / "plugin.py").is_file(), f"no pytest_msgraph at {PACKAGE}"
    assert len(_sources(PACKAGE)) > 50


def test_every_foreign_private_name_is_listed():
    unlisted = [f"pytest_msgraph/{module}:{lines[0]} uses {name}"
                for module, names in sorted(private_names().items())
                for name, lines in sorted(names.items()) if name not in ALLOWED.get(module, set())]
    assert not unlisted, (
        "private names of another package used where docs/architecture.md does not list them: add each to the "
        "table there (what it is for, the releases it was verified on, what happens when it is missing; a "
        "MindSpore name goes to mindspore_side/internals.py) and to ALLOWED, or use a public route:\n"
        + "\n".join(unlisted))


def test_every_listed_name_is_still_used_there():
    found = private_names()
    stale = [f"{module}: {name}" for module, names in sorted(ALLOWED.items())
             for name in sorted(names) if name not in found.get(module, {})]
    assert not stale, "listed but no longer used there (remove from ALLOWED and docs/architecture.md):\n" + \
        "\n".join(stale)


LOOK_ALIKES = {
    "own.py": '''
import sys
from _pytest.main import deselect
from mindspore.ops import _private_op
import mindspore._c_expression
from . import sibling
from .sibling import _helper

MODE_PARAM = "_plugin_arg"


class Mine:
    _table = {}

    def __init__(self, config):
        self._config = config
        self._context = None

    def _own(self):
        return self._config, self._table, sibling._helper(), _helper()

    def read(self, ms_context, item, cell, fn):
        probe = self
        def inner():
            return probe._own(), self._context
        ms_context._context()
        getattr(item, "_fixtureinfo", None)
        getattr(self, "_config")
        vars(cell)["_lazy_hook"]
        vars(cell).get("_other_hook")
        fn.__closure__
        getattr(fn.__code__, "co_freevars", ())
        sys._getframe(1)
        return type(item).__name__ == "_Grad", item.name in ("x", "_Hidden"), item.name == MODE_PARAM


class Scheduler(LoadScopeScheduling):
    def _split_scope(self, nodeid):
        self._reschedule(None)
        return self._units

    _units = {}


class Visitor(ast.NodeVisitor):
    def _mine(self):
        return self._mine


def skip(reason, *, _plugin_kw=False):
    raise Skipped(reason, _use_item_location=True, _plugin_kw=True)


def loop(base):
    for cls in (base.GradOperation, base._Grad):
        cls._pynative_forward_run = None
''',
    "sibling.py": "def _helper():\n    return 1\n",
}


def test_the_walk_tells_foreign_names_from_the_plugins_own(tmp_path):
    root = tmp_path / "pytest_msgraph"
    root.mkdir()
    source = "import ast\nfrom xdist.scheduler import LoadScopeScheduling\n" + LOOK_ALIKES["own.py"]
    (root / "own.py").write_text(source)
    (root / "sibling.py").write_text(LOOK_ALIKES["sibling.py"])
    found = private_names(root)
    assert set(found) == {"own.py"}
    assert set(found["own.py"]) == {
        "_pytest.main.deselect", "mindspore.ops._private_op", "mindspore._c_expression",
        "_context",  # ms_context._context(): a MindSpore name, though the plugin has a self._context
        "_fixtureinfo", "_lazy_hook", "_other_hook", "__closure__", "co_freevars", "_getframe", "_Grad", "_Hidden",
        "_split_scope", "_reschedule",  # xdist's: an override and an inherited method
        "_use_item_location",  # not _plugin_kw: a parameter of the plugin's own
        "_pynative_forward_run",  # cls is a loop variable here, not a method's first parameter
    }
    assert found["own.py"]["_context"] == [source.splitlines().index("        ms_context._context()") + 1]



# -- where a missing private name decides a pass, a skip or an exit 0, it fails closed ---------------------------

def test_pytests_config_still_keeps_the_rootdir_where_path_options_puts_it_back(pytester):
    """Loud the day pytest moves them: path_options writes these and reads them back through the public names."""
    config = pytester.parseconfig()
    for name in ("_rootpath", "_inipath", "_inicfg", "_inicache", "_parser"):
        assert hasattr(config, name), f"pytest {pytest.__version__} has no Config.{name}"
    elsewhere = pytester.mkdir("elsewhere")
    config._rootpath = elsewhere
    assert config.rootpath == elsewhere


def test_a_write_pytest_does_not_read_back_is_refused():
    from types import SimpleNamespace

    from pytest_msgraph.pytest_side.path_options import written_where_read

    moved = SimpleNamespace(rootpath=Path("/first"), inipath=None)  # a pytest that reads its rootdir elsewhere
    with pytest.raises(pytest.UsageError, match="Write --ms-report=r.json"):
        written_where_read(moved, Path("/project"), Path("/project/tox.ini"), "r.json")
    written_where_read(SimpleNamespace(rootpath=Path("/project"), inipath=None), Path("/project"), None, "r.json")


def test_without_pytests_filters_a_selection_is_refused_not_guessed(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from pytest_msgraph.pairs import selection

    monkeypatch.setattr(selection, "_pytest_filters", lambda: [])
    config = SimpleNamespace(invocation_params=SimpleNamespace(dir=tmp_path), args=[],
                             option=SimpleNamespace(keyword="GRAPH", markexpr=""), getoption=lambda name: None)
    with pytest.raises(pytest.UsageError, match="cannot tell whether -k, -m or --deselect leave out a variant"):
        selection.selected_by_user(config, [])
    config.option.keyword = ""  # no selection to apply: nothing to refuse
    assert selection.selected_by_user(config, []) == []


def test_an_item_whose_fixtures_pytest_does_not_show_is_not_proved_idle():
    from types import SimpleNamespace

    from pytest_msgraph.pairs.idle_variants import IdleVariants

    idle = IdleVariants("all")
    assert idle._requests_busy_fixture(SimpleNamespace()) is True
    assert idle._requests_busy_fixture(SimpleNamespace(_fixtureinfo=SimpleNamespace(name2fixturedefs={}))) is False


def test_a_renamed_graph_grad_closure_makes_the_probes_unavailable():
    import subprocess
    import sys as system

    script = ("from pytest_msgraph.mindspore_side import internals\n"
              "internals.verify_graph_grad_closure()\n"
              "internals.GRAPH_GRAD_TARGET = ('fn', 'renamed_')\n"
              "try:\n    internals.verify_graph_grad_closure()\n"
              "except internals.ProbeUnavailable as exc:\n    print('unavailable:', exc)\n")
    done = subprocess.run([system.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "unavailable:" in done.stdout and "builds no 'after_grad' over fn, renamed_" in done.stdout
