"""The package's layout holds: imports only go down, pure modules stay pure, public names stay.

The table below is the one docs/architecture.md shows; this test is what keeps it true.
"""
import ast
import importlib
import subprocess
import sys
from fnmatch import fnmatch
from importlib import metadata
from pathlib import Path

import pytest

import pytest_msgraph

PACKAGE = Path(pytest_msgraph.__file__).parent
NAME = "pytest_msgraph"

# Each folder and the folders it may import besides itself. The top level (plugin.py,
# hookspecs.py, __init__.py and the thin modules that keep public paths) may import any.
MAY_IMPORT = {
    "core": set(),
    "mindspore_side": {"core"},
    "checks": {"core"},
    "checks.builtin": {"checks", "core", "mindspore_side"},
    "reports": {"checks", "core"},
    "lint": {"checks", "core"},
    "matrix": {"core", "reports"},
    "porting": {"checks", "checks.builtin", "core", "mindspore_side"},
    "pairs": {"core", "mindspore_side"},
    "pytest_side": {"checks", "checks.builtin", "core", "lint", "mindspore_side", "pairs", "porting", "reports"},
}
# Modules that import neither pytest nor MindSpore (nor torch): unit-tested directly, usable anywhere.
PURE = ("core/*.py", "checks/frame.py", "checks/findings.py", "checks/builtin/*_arithmetic.py",
        "checks/builtin/parity/arithmetic.py", "checks/builtin/parity/pairs.py", "checks/builtin/parity/outcomes.py",
        "checks/builtin/parity/evidence.py",
        "matrix/*.py", "reports/validation.py", "reports/results.py", "reports/terminal_text.py",
        "reports/summary.py", "reports/annotations.py", "reports/junit.py", "lint/rules.py", "lint/cli.py",
        "lint/messages.py", "lint/per_call.py", "lint/nn_classes.py", "lint/visitor.py", "lint/input_writes.py",
        "lint/project.py", "lint/reach.py", "lint/missing_names.py", "lint/failure_causes.py", "pairs/adoption.py")
FRAMEWORKS = ("pytest", "_pytest", "mindspore", "torch", "pluggy")


def _module_name(path, root=PACKAGE):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name, root):
    where = root.parent / Path(*name.split("."))
    return where.with_suffix(".py").exists() or where.is_dir()


def _imports(path, root=PACKAGE):
    """(absolute module imported, line) for every import in the file, lazy ones included."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            yield base, node.lineno
            for alias in node.names:  # `from . import items`: the submodule itself
                if _is_module(f"{base}.{alias.name}", root):
                    yield f"{base}.{alias.name}", node.lineno


def _folder(module):
    """The folder of MAY_IMPORT a module belongs to ('' for the top level)."""
    inner = module[len(NAME) + 1:] if module.startswith(NAME + ".") else ""
    return max((f for f in MAY_IMPORT if inner == f or inner.startswith(f + ".")), key=len, default="")


def _sources(root=PACKAGE):
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _upward_imports(root=PACKAGE):
    wrong = []
    for path in _sources(root):
        source = _folder(_module_name(path, root))
        if source == "":
            continue
        for target, line in _imports(path, root):
            if target != NAME and not target.startswith(NAME + "."):
                continue
            folder = _folder(target)
            if folder == "":
                wrong.append(f"{path.relative_to(root)}:{line} imports the top-level module {target}")
            elif folder not in MAY_IMPORT[source] | {source} and not folder.startswith(source + "."):
                wrong.append(f"{path.relative_to(root)}:{line} ({source}) imports {target} ({folder})")
    return wrong


def _impure_imports(root=PACKAGE):
    pure = [p for p in _sources(root) if any(fnmatch(str(p.relative_to(root)), pattern) for pattern in PURE)]
    return pure, [f"{p.relative_to(root)}:{line} imports {target}" for p in pure for target, line in _imports(p, root)
                  if target.split(".")[0] in FRAMEWORKS]


def test_the_table_itself_only_goes_down():
    order, todo = [], dict(MAY_IMPORT)
    while todo:
        ready = [f for f, deps in todo.items() if deps <= set(order)]
        assert ready, f"the table has a cycle among {sorted(todo)}"
        order += sorted(ready)
        for folder in ready:
            del todo[folder]


def test_every_folder_imports_only_what_the_table_allows():
    wrong = _upward_imports()
    assert not wrong, "\n".join(wrong)


def test_there_is_no_import_cycle_between_modules():
    graph = {}
    for path in _sources():
        here = _module_name(path)
        # A package importing its own modules to re-export them is not a cycle.
        graph[here] = {t for t, _ in _imports(path) if t.startswith(NAME + ".") and not here.startswith(t)}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                pytest.fail("import cycle: " + " -> ".join(trail[trail.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_pure_modules_import_no_framework():
    pure, wrong = _impure_imports()
    assert len(pure) >= 10
    assert not wrong, "\n".join(wrong)


def test_the_walk_catches_what_it_forbids(tmp_path):
    """The look-alikes: an upward import and a pure module importing pytest, in a tree of their own."""
    fake = tmp_path / NAME
    (fake / "matrix").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "matrix" / "__init__.py").write_text("")
    (fake / "matrix" / "merge.py").write_text("import json\nfrom ..mindspore_side.session import MindSporeSession\n"
                                             "def f():\n    import pytest\n")
    assert _upward_imports(fake) == [
        "matrix/merge.py:2 (matrix) imports pytest_msgraph.mindspore_side.session (mindspore_side)"]
    assert _impure_imports(fake)[1] == ["matrix/merge.py:4 imports pytest"]


def test_no_module_is_over_300_lines():
    long = [f"{p.relative_to(PACKAGE)}: {n}" for p in _sources() if (n := len(p.read_text().splitlines())) > 300]
    assert not long, long


# -- public names that must keep working, whatever the layout -------------------------------------------------

def test_public_python_names():
    from pytest_msgraph import Check, CheckRegistry, EventCheck, Finding, Mode, MsGraphWarning, TestRun
    from pytest_msgraph.torch_bridge import copy_weights

    assert issubclass(EventCheck, Check)
    for event in ("cell_called", "grad_called", "gradients_computed", "compiled", "reset", "report"):
        assert callable(getattr(EventCheck, event))

    assert issubclass(MsGraphWarning, pytest.PytestWarning)
    # Each public name is the object its home module defines (a re-export that drifted would pass `and`).
    homes = {Check: "checks.frame", CheckRegistry: "checks.frame", Finding: "checks.findings",
             TestRun: "checks.findings", Mode: "core.modes", MsGraphWarning: "pytest_side.warning",
             copy_weights: "porting.torch_bridge"}
    for obj, home in homes.items():
        assert getattr(importlib.import_module(f"pytest_msgraph.{home}"), obj.__name__) is obj, (obj, home)
    hookspecs = importlib.import_module("pytest_msgraph.hookspecs")
    assert callable(hookspecs.pytest_msgraph_register_checks) and callable(hookspecs.pytest_msgraph_finding)


@pytest.mark.parametrize("command", ["pytest_msgraph.matrix", "pytest_msgraph.lint"])
def test_public_commands(command):
    done = subprocess.run([sys.executable, "-m", command, "--help"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"python -m {command}" in done.stdout


@pytest.mark.parametrize("group, value", [("pytest11", "pytest_msgraph.plugin"),
                                           ("pytest_randomly.random_seeder", None)])
def test_entry_points_load(group, value):
    found = [ep for ep in metadata.entry_points(group=group) if ep.name == "msgraph"]
    assert len(found) == 1
    if value is not None:
        assert found[0].value == value
    from pytest_msgraph.mindspore_side.seeding import reseed_after_randomly

    assert found[0].load() is (importlib.import_module(value) if value else reseed_after_randomly)
