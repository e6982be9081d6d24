"""graph_syntax across assignments and modules (issue 32): MSG010 follows each binding along each branch, the
lint resolves the project's base classes and follows graph code into its helpers, naming the call chain."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_msgraph.lint.project import Project
from pytest_msgraph.lint.rules import lint_file, lint_source

HEADER = "import mindspore as ms\nfrom mindspore import nn, ops\n\n\nclass Net(nn.Cell):\n" \
         "    def construct(self, x, lengths, residual, step: int = 0):\n"


def _writes(body):
    source = HEADER + textwrap.indent(textwrap.dedent(body), " " * 8) + "\n        return x\n"
    return [f.message.split(":")[0] for f in lint_source(source, "m.py") if f.rule == "MSG010"]


@pytest.mark.parametrize("body", [
    "x, _ = self.lstm(x)\nx += residual",
    "x, y = x * 1, lengths\nx[:, 0] = 0",
    "x: ms.Tensor = x.copy()\nx[0] = 1",
    "*x, y = self.split(x)\nx[0] = 1",
    "if step:\n    x = x * 1\nelse:\n    x = x + 1\nx[0] = 1",
    "for x in (x * 1, x * 2):\n    pass\nx[0] = 1",
    "with self.scope() as x:\n    x[0] = 1",
    "if (x := x * 2).sum() > 0:\n    x[0] = 1",
    "if step:\n    return x\nx = x * 1\nx[0] = 1",
    "import numpy as x\nx[0] = 1",
    "step += 1",
    "y = x\ny = y * 2\ny[0] = 1",
    "while step:\n    x = x * 1\n    x[0] = 1\n    break",
])
def test_a_write_after_every_form_of_rebinding_is_not_flagged(body):
    assert _writes(body) == []


@pytest.mark.parametrize("body, said", [
    ("if step:\n    x = x * 1\nx[0] = 1", "x[...] = ... writes into construct's input 'x'"),
    ("if step:\n    pass\nelse:\n    x = x * 1\nx += 1", "x += ... writes into construct's input 'x'"),
    ("for x in lengths:\n    pass\nx[0] = 1", "x[...] = ... writes into construct's input 'x'"),
    ("for i in range(3):\n    x[i] = 0\n    x = x * 2", "x[...] = ... writes into construct's input 'x'"),
    ("x, y = lengths, x\ny[0] = 1", "y[...] = ... writes into construct's input 'x' (y holds it)"),
    ("y = x\ny[0] = 1", "y[...] = ... writes into construct's input 'x' (y holds it)"),
    ("x += 1", "x += ... writes into construct's input 'x'"),
    ("lengths[0][1] = 0", "lengths[...] = ... writes into construct's input 'lengths'"),
    ("lengths[0] += 1", "lengths[...] += ... writes into construct's input 'lengths'"),
    ("try:\n    x = x * 1\nexcept ValueError:\n    pass\nx[0] = 1", "x[...] = ... writes into construct's input 'x'"),
])
def test_a_write_while_the_name_may_still_hold_the_callers_object_is_flagged_once(body, said):
    assert _writes(body) == [said]


PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/base.py": '''
        from mindspore import nn


        class Block(nn.Cell):
            def scaled(self, x):
                try:
                    return x * 2
                except ValueError:
                    return x
        ''',
    "pkg/utils.py": '''
        from mindspore.ops import constexpr


        def helper(x):
            return inner(x)


        def inner(x):
            try:
                return x * 2
            except ValueError:
                return x


        @constexpr
        def width(n):
            try:
                return n * 2
            except ValueError:
                return n
        ''',
    "pkg/layers/__init__.py": "from ..base import Block as Layer\n",
    "pkg/net.py": '''
        import random
        from mindspore import nn
        from .layers import Layer
        from . import utils
        from .utils import helper, width


        class Net(Layer):
            def __init__(self):
                super().__init__()
                self.up = nn.ResizeBilinear()

            def construct(self, x):
                if random.random() < 0.5:
                    x = x * 0
                return helper(x) + utils.inner(x) + self.scaled(x) * width(3)
        ''',
}


def _package(root):
    for name, text in PACKAGE.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    return root / "pkg"


def test_project_bases_and_helpers_are_followed_across_modules_with_the_call_chain(tmp_path):
    found = lint_file(_package(tmp_path) / "net.py", Project())
    said = {(f.path.split("/")[-1], f.line, f.rule): f.message for f in found}
    assert set(said) == {("base.py", 7, "MSG001"), ("utils.py", 10, "MSG001"), ("net.py", 12, "MSG008"),
                         ("net.py", 15, "MSG003")}, said
    assert said[("utils.py", 10, "MSG001")].startswith(
        "in inner, which graph code calls (Net.construct -> helper -> inner): try/except in graph code")
    assert said[("base.py", 7, "MSG001")].startswith("in Block.scaled, which graph code calls "
                                                     "(Net.construct -> Block.scaled)")
    assert "MindSpore 2.3 removed it (deprecated since 2.0)" in said[("net.py", 12, "MSG008")]
    assert "in __init__ the cell cannot even be built" in said[("net.py", 12, "MSG008")]
    assert "Python's random" in said[("net.py", 15, "MSG003")]


def test_the_cli_says_a_helper_two_files_reach_once(tmp_path):
    package = _package(tmp_path)
    (package / "other.py").write_text("from mindspore import nn\nfrom .utils import helper\n\n\n"
                                      "class Other(nn.Cell):\n    def construct(self, x):\n        return helper(x)\n")
    done = subprocess.run([sys.executable, "-m", "pytest_msgraph.lint", str(package)], capture_output=True,
                          text=True, timeout=120)
    places = [line.split(": ")[0] for line in done.stdout.splitlines()]
    assert len(places) == len(set(places)) == 4, done.stdout
    assert done.returncode == 1


def test_a_removed_name_under_a_version_test_or_in_a_plain_function_is_judged_by_whether_it_runs():
    source = textwrap.dedent('''
        from mindspore import nn, ops
        from mindspore.nn import ResizeBilinear


        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.a = ops.ResizeBilinearV2() if is_ms_version_2() else nn.ResizeBilinear()
                if hasattr(nn, "ResizeBilinear"):
                    self.b = nn.ResizeBilinear()
                self.c = nn.NoSuchCell()
                try:  # a fallback when the name is gone: guarded too
                    self.d = nn.ResizeBilinear()
                except AttributeError:
                    self.d = None
                try:  # a try that does not fall back on a missing name guards nothing
                    self.e = nn.ResizeBilinear()
                except ValueError:
                    self.e = None


        try:
            from mindspore.nn import ResizeBilinear as Old
        except ImportError:
            Old = None
        ''')
    found = [(f.line, f.rule) for f in lint_source(source, "m.py")]
    assert found == [(3, "MSG008"), (12, "MSG008"), (18, "MSG008")]


ACROSS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import Tensor
from pkg.base import Block
from pkg.utils import helper


class Noisy(Block):  # a Cell only through the other module's base
    def construct(self, x):
        return x * np.random.rand()


class CallsHelper(Block):
    def construct(self, x):
        return helper(x)


def ones():
    return Tensor(np.ones(3, np.float32))


def test_a_cell_of_a_project_base_draws_once_in_graph_mode():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Noisy()
    assert net(ones()).asnumpy()[0] == net(ones()).asnumpy()[0]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert Noisy()(ones()).asnumpy()[0] != Noisy()(ones()).asnumpy()[0]


def test_try_in_another_modules_helper_fails_in_graph_mode_only():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert CallsHelper()(ones()).asnumpy()[0] == 2.0
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(RuntimeError, match="Unsupported statement 'Try'"):
        CallsHelper()(ones())
'''


def test_across_modules_the_wrong_constructs_are_wrong_on_mindspore(pytester):
    _package(pytester.path)
    pytester.makepyfile(test_across=ACROSS)
    assert {(f.cell, f.rule) for f in lint_file(pytester.path / "test_across.py", Project())} == {
        ("CallsHelper", "MSG001"), ("Noisy", "MSG003")}
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:msgraph")
    result.assert_outcomes(passed=2)


def test_ms_lint_items_report_what_a_files_graph_code_reaches_in_other_files(pytester, run_pytest):
    _package(pytester.path)
    run = run_pytest("--ms-lint", "-m", "msgraph_lint", "pkg")
    found = {(f["nodeid"], f["path"].split("/")[-1], f["rule"]) for f in run.findings("graph_syntax")}
    assert found == {("pkg/net.py::msgraph-lint", "base.py", "MSG001"), ("pkg/net.py::msgraph-lint", "utils.py", "MSG001"),
                     ("pkg/net.py::msgraph-lint", "net.py", "MSG008"), ("pkg/net.py::msgraph-lint", "net.py", "MSG003")}


def test_a_cause_is_read_from_the_failing_file_and_a_rejected_statement_found_in_the_helper_it_reaches(tmp_path):
    """The lint reports a reached helper's finding in the helper's file: its line number names nothing here, and the
    rejected statement of a compile failure at the call is the helper's."""
    from pytest_msgraph.lint.failure_causes import known_cause, rule_places
    from pytest_msgraph.lint.rules import lint_file

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "utils.py").write_text("def helper(x):\n    try:\n        return x * 2\n    except ValueError:\n"
                                  "        return x\n")
    net = pkg / "net.py"
    net.write_text("from mindspore import nn\nfrom .utils import helper\n\n\nclass Net(nn.Cell):\n"
                   "    def construct(self, x):\n        return helper(x)\n")
    reached = [(Path(f.path).name, f.line, f.rule) for f in lint_file(net)]
    assert ("utils.py", 2, "MSG001") in reached  # the try in the helper, reported while linting net.py
    assert known_cause("ValueError: boom", str(net), 2) is None  # line 2 of net.py is an import
    assert rule_places(str(net), "MSG001", 7) == [(str((pkg / "utils.py").resolve()), 2)]
