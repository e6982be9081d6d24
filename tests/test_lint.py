"""graph_syntax: the lint's rules, its look-alikes, suppression, the CLI and --ms-lint items."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from pytest_msgraph.lint import RULES, lint_source


def _rules(source):
    return [(f.rule, f.line, f.cell) for f in lint_source(textwrap.dedent(source), "m.py")]


HEADER = """
import threading
import concurrent.futures
import multiprocessing as mp
import numpy as np
import scipy.special
from numpy import random as npr
import mindspore as ms
import mindspore.numpy as mnp
from mindspore import nn, ops
"""


@pytest.mark.parametrize("body, rule", [
    ("try:\n    y = x + 1\nexcept ValueError:\n    y = x", "MSG001"),
    ("y = np.tanh(x)", "MSG002"),
    ("y = scipy.special.expit(x)", "MSG002"),
    ("y = x + np.random.randn(3)", "MSG003"),
    ("y = x + npr.rand(3)", "MSG003"),
    ("threading.Thread(target=print).start()", "MSG004"),
    ("pool = mp.Pool(2)", "MSG004"),
    ("pool = concurrent.futures.ThreadPoolExecutor()", "MSG004"),
    ("a = x.asnumpy()", "MSG005"),
])
def test_each_rule_in_construct(body, rule):
    source = HEADER + "class Net(nn.Cell):\n    def construct(self, x):\n" + textwrap.indent(body, " " * 8) + "\n        return x\n"
    assert [r for r, _, cell in _rules(source)] == [rule]
    assert [cell for _, _, cell in _rules(source)] == ["Net"]


def test_bprop_jit_functions_and_methods_called_from_construct():
    found = _rules(HEADER + '''
class Sampler(nn.Cell):
    def pick(self, a):
        return np.random.choice(a, 3)

    def construct(self, x):
        return self.pick(x)

    def bprop(self, x, out, dout):
        return (ms.Tensor(dout.asnumpy()),)


class Deeper(Sampler):
    def construct(self, x):
        try:
            return x
        except Exception:
            return x


@ms.jit
def step(x):
    return np.tanh(x)


@ms.jit(capture_mode="ast")
def step2(x):
    return x.asnumpy()
''')
    assert found == [("MSG003", 14, "Sampler"), ("MSG005", 20, "Sampler"), ("MSG001", 25, "Deeper"),
                     ("MSG002", 33, "step"), ("MSG005", 38, "step2")]


def test_ordinary_mindspore_code_is_not_flagged():
    assert _rules(HEADER + '''
class Clean(nn.Cell):
    def __init__(self):
        super().__init__()
        self.table = ms.Tensor(np.arange(10, dtype=np.float32))  # numpy in __init__ is fine
        self.scale = float(np.sqrt(2.0))
        self.relu = ops.ReLU()

    def helper(self, x):
        return ops.exp(x) * self.scale

    def construct(self, x):
        if x.shape[0] > 2:
            x = x * 2
        for _ in range(x.ndim):
            x = self.relu(self.helper(x))
        y = mnp.ones(3) + ops.reduce_sum(x) + x.sum() + x.astype(ms.float32).mean()
        return y * self.table


def plain_python(x):
    try:
        return np.tanh(x.asnumpy())
    except ValueError:
        return None


class NotACell:
    def construct(self, x):
        return np.tanh(x)
''') == []


def test_inline_suppression():
    found = _rules(HEADER + '''
class Net(nn.Cell):
    def construct(self, x):
        a = np.random.randn(3)  # msgraph: ignore[MSG003]
        b = np.tanh(x)  # msgraph: ignore[MSG003]
        c = x.asnumpy()  # msgraph: ignore
        d = np.random.randn(3)  # msgraph: ignore[MSG001, MSG003]
        return x
''')
    assert found == [("MSG002", 15, "Net")]


def test_msg006_and_msg007_and_their_look_alikes():
    source = HEADER + textwrap.dedent('''
        class Scaler:
            def __init__(self, k):
                self.k = k


        class Block(nn.Cell):
            def construct(self, x):
                return x


        class Net(nn.Cell):
            def __init__(self):
                super().__init__()
                self.block = Block()           # building cells in __init__ is the right place
                self.dense = nn.Dense(3, 2)
                self.helper = Scaler(2)

            def construct(self, x):
                a = Scaler(2)
                b = nn.Dense(x)
                c = Block()
                d = ops.ReLU()(x)              # a primitive: fine in graph code
                e = ms.Tensor(1.0)             # a tensor: fine
                return self.dense(self.block(x))


        class NotSelf(nn.Cell):
            def construct(s, x):
                return x

            def helper(other, x):              # not construct/bprop: any name
                return x


        class Static(nn.Cell):
            @staticmethod
            def bprop(x, out, dout):
                return (dout,)

            def construct(self, x):
                return x
    ''')
    found = _rules(source)
    assert [(rule, cell) for rule, _, cell in found] == [
        ("MSG007", "Net"), ("MSG007", "Net"), ("MSG007", "Net"), ("MSG006", "NotSelf"),
    ]


def test_msg006_names_the_bprop_error():
    source = HEADER + "class Net(nn.Cell):\n    def construct(self, x):\n        return x\n\n" \
        "    def bprop(this, x, out, dout):\n        return (dout,)\n"
    [finding] = lint_source(source, "m.py")
    assert finding.rule == "MSG006" and "bprop's first parameter is 'this'" in finding.message
    assert "the number of parameters of bprop is 2" in finding.message


def test_every_rule_has_an_id_and_a_fix():
    assert sorted(RULES) == [f"MSG{n:03d}" for n in range(1, 13)]


def test_command_line_output_and_exit_status(tmp_path):
    bad = tmp_path / "net.py"
    bad.write_text(HEADER + "class Net(nn.Cell):\n    def construct(self, x):\n        return x.asnumpy()\n")
    good = tmp_path / "ok.py"
    good.write_text("x = 1\n")
    done = subprocess.run([sys.executable, "-m", "pytest_msgraph.lint", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stdout.startswith(f"{bad}:13:16: MSG005 .asnumpy() in graph code:")
    clean = subprocess.run([sys.executable, "-m", "pytest_msgraph.lint", str(good)], capture_output=True, text=True)
    assert clean.returncode == 0 and clean.stdout == ""
    missing = subprocess.run([sys.executable, "-m", "pytest_msgraph.lint", str(tmp_path / "nope.py")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr


def test_ms_lint_alone_never_imports_mindspore(pytester):
    pytester.makeconftest('''
import sys

def pytest_sessionfinish(session):
    with open("imported.txt", "w") as f:
        f.write(str("mindspore" in sys.modules))
''')
    pytester.makepyfile(models=HEADER.replace("import mindspore as ms", "").replace("import mindspore.numpy as mnp", "")
                        .replace("from mindspore import nn, ops", "") + '''
class Net(nn.Cell):
    def construct(self, x):
        return x.asnumpy()
''', test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-lint")
    result.assert_outcomes(passed=4, warnings=1)  # lint items for conftest, models, test_x; test_x
    assert (pytester.path / "imported.txt").read_text() == "False"
    result.stdout.fnmatch_lines(["graph_syntax [[]warn[]]: 1 finding in 3 files"])


def test_pre_commit_hook_is_shipped():
    from pathlib import Path

    hooks = (Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text()
    assert "id: msgraph-lint" in hooks and "entry: python -m pytest_msgraph.lint" in hooks


def test_ms_lint_adds_one_item_per_file_with_findings_in_the_report(pytester):
    pytester.makepyfile(models=HEADER + '''
class Net(nn.Cell):
    def construct(self, x):
        return x + np.random.randn(2)
''', test_models="def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-lint", "--ms-report=r.json", "models.py",
                                           "test_models.py")
    assert result.ret == 0
    report = json.loads((pytester.path / "r.json").read_text())
    assert {t["nodeid"] for t in report["tests"]} == {
        "models.py::msgraph-lint", "test_models.py::msgraph-lint", "test_models.py::test_nothing"}
    [finding] = [f for f in report["findings"] if f["check"] == "graph_syntax"]
    assert finding["severity"] == "warn"
    assert finding["nodeid"] == "models.py::msgraph-lint"
    assert (finding["path"].endswith("models.py"), finding["line"], finding["cell"], finding["rule"]) == (True, 13, "Net", "MSG003")
    result.stdout.fnmatch_lines(["*MsGraphWarning: [[]graph_syntax[]] a finding: what and the fix are in the msgraph*",
                                 "*WARN models.py::msgraph-lint [[]Net[]]: MSG003 np.random.randn() in graph code*"])
    errors = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-lint", "--ms-check=graph_syntax=error",
                                           "models.py")
    assert errors.ret == 1
    errors.stdout.fnmatch_lines(["*models.py:13:20: MSG003 np.random.randn() in graph code*"])


# Each rule's claim, checked against MindSpore itself (GRAPH_MODE, default LAX and STRICT).
CLAIMS = '''
import threading
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor

X = Tensor(np.ones(3, np.float32))


def graph(level=ms.LAX):
    ms.set_context(mode=ms.GRAPH_MODE, jit_syntax_level=level)


class TryCell(nn.Cell):
    def construct(self, x):
        try:
            y = x + 1
        except ValueError:
            y = x
        return y


class NumpyCell(nn.Cell):
    def construct(self, x):
        return np.tanh(x)


class RandomCell(nn.Cell):
    def construct(self, x):
        return x + ms.Tensor(np.random.randn(3).astype(np.float32))


RUNS = []


def mark():
    RUNS.append(1)


class ThreadCell(nn.Cell):
    def construct(self, x):
        worker = threading.Thread(target=mark)
        worker.start()
        return x * 2


class AsnumpyCell(nn.Cell):
    def construct(self, x):
        return ms.Tensor(x.asnumpy() * 2)


def test_msg001_try_is_rejected():
    graph()
    with pytest.raises(RuntimeError, match="Unsupported statement 'Try'"):
        TryCell()(X)


def test_msg002_numpy_on_a_tensor_falls_back_under_lax_and_fails_under_strict():
    graph()
    np.testing.assert_allclose(np.asarray(NumpyCell()(X)), np.tanh(1.0), rtol=1e-6)  # a numpy result
    graph(ms.STRICT)
    with pytest.raises(ValueError, match="the inputs should be constant"):
        NumpyCell()(X)


def test_msg003_numpy_random_is_frozen():
    graph()
    net = RandomCell()
    assert np.array_equal(net(X).asnumpy(), net(X).asnumpy())


def test_msg004_thread_body_runs_once():
    graph()
    net = ThreadCell()
    for _ in range(3):
        net(X)
    assert RUNS == [1]


def test_msg005_asnumpy_fails_under_strict():
    graph(ms.STRICT)
    with pytest.raises(AttributeError, match="In JIT strict mode, cannot get attributes asnumpy"):
        AsnumpyCell()(X)


class NotSelf(nn.Cell):
    def construct(s, x):
        return x * 2


@pytest.mark.parametrize("level", [ms.LAX, ms.STRICT])
def test_msg006_first_parameter_not_self_fails_only_in_graph_mode(level):
    graph(level)
    with pytest.raises(TypeError, match="The parameters number of the function is 2"):
        NotSelf()(X)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert NotSelf()(X).shape == (3,)


class BpropNotSelf(nn.Cell):
    def construct(self, x):
        return x * 2

    def bprop(this, x, out, dout):
        return (dout * 3,)


@pytest.mark.parametrize("level", [ms.LAX, ms.STRICT])
def test_msg006_bprop_first_parameter_not_self_fails_only_in_graph_mode(level):
    graph(level)
    with pytest.raises(TypeError, match="the number of parameters of bprop is 2"):
        ms.grad(BpropNotSelf())(X)
    ms.set_context(mode=ms.PYNATIVE_MODE)
    np.testing.assert_allclose(ms.grad(BpropNotSelf())(X).asnumpy(), 3.0)


class Holder:
    def __init__(self, t):
        self.t = t

    def value(self):
        return self.t * 2


class UsesHolder(nn.Cell):
    def construct(self, x):
        return Holder(x).value()


class BuildsDense(nn.Cell):
    def construct(self, x):
        return nn.Dense(3, 2)(x.reshape(1, 3))


class SeedBuildsDense(nn.Cell):
    def construct(self, x):
        out = nn.Dense(x)
        return out


def test_msg007_user_class_falls_back_under_lax_and_fails_under_strict():
    graph()
    np.testing.assert_allclose(UsesHolder()(X).asnumpy(), 2.0)
    graph(ms.STRICT)
    with pytest.raises(ValueError, match="the inputs should be constant"):
        UsesHolder()(X)


def test_msg007_a_cell_built_in_construct_is_untrained_and_differs_between_modes():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = BuildsDense()
    assert net.trainable_params() == []
    assert not np.array_equal(net(X).asnumpy(), net(X).asnumpy())  # new random weights each call
    graph()
    net = BuildsDense()
    assert np.array_equal(net(X).asnumpy(), net(X).asnumpy())  # built once, at compile time


@pytest.mark.parametrize("level", [ms.LAX, ms.STRICT])
def test_msg007_the_seeds_dense_of_a_tensor_is_a_type_error_in_graph_mode(level):
    graph(level)
    with pytest.raises(TypeError, match="all arguments are required to be constants"):
        SeedBuildsDense()(X)
'''


def test_each_rule_claim_holds_in_mindspore(pytester):
    pytester.makepyfile(test_claims=CLAIMS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-check=context_leak=off",
                                           "--ms-check=mode_parity=off")
    result.assert_outcomes(passed=13)


FROZEN = "class Net(nn.Cell):\n    def construct(self, x):\n        return x + np.random.randn(3)\n"


def _lint_cli(*paths, cwd=None):
    return subprocess.run([sys.executable, "-m", "pytest_msgraph.lint", *map(str, paths)],
                          capture_output=True, text=True, cwd=cwd, timeout=60)


@pytest.mark.parametrize("prefix, encoding", [
    (b"\xef\xbb\xbf", "utf-8"),  # a UTF-8 byte-order mark
    (b"# -*- coding: latin-1 -*-\n# caf\xe9\n", "latin-1"),  # PEP 263
])
def test_files_are_read_as_python_reads_them(tmp_path, prefix, encoding):
    path = tmp_path / "net.py"
    path.write_bytes(prefix + (HEADER + FROZEN).encode(encoding))
    done = _lint_cli(path)
    assert done.returncode == 1 and "MSG003" in done.stdout


@pytest.mark.parametrize("content", [b"def f(:\n", b"x = 1\x00\x01\x02"])
def test_a_file_that_cannot_be_parsed_is_an_error_never_clean(tmp_path, pytester, content):
    (tmp_path / "broken.py").write_bytes(content)
    done = _lint_cli(tmp_path)
    assert done.returncode == 2 and "broken.py: cannot parse" in done.stderr
    pytester.path.joinpath("broken.py").write_bytes(content)
    # Not named on the command line: pytest would import a typed path as a test module too.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "--ms-lint")
    result.assert_outcomes(failed=1)
    assert "cannot parse" in result.stdout.str()


def test_exit_zero_reports_and_passes_but_never_hides_an_unparsable_file(tmp_path):
    (tmp_path / "net.py").write_text(HEADER + FROZEN)
    done = _lint_cli("--exit-zero", tmp_path)
    assert done.returncode == 0 and "MSG003" in done.stdout
    (tmp_path / "broken.py").write_text("def f(:\n")
    assert _lint_cli("--exit-zero", tmp_path).returncode == 2


def test_hidden_folders_are_skipped_only_while_walking(tmp_path):
    work = tmp_path / ".work" / "src"
    (work / ".cache").mkdir(parents=True)
    (work / "net.py").write_text(HEADER + FROZEN)
    (work / ".cache" / "old.py").write_text(HEADER + FROZEN)
    typed = _lint_cli(work)
    assert typed.returncode == 1 and "net.py" in typed.stdout and "old.py" not in typed.stdout
    below = tmp_path / "pkg"
    below.mkdir()
    relative = _lint_cli("../.work/src/net.py", cwd=below)  # a typed path with dot components
    assert relative.returncode == 1 and "MSG003" in relative.stdout


def test_files_that_are_not_regular_are_skipped_not_read(tmp_path, pytester):
    (tmp_path / "net.py").write_text(HEADER + "x = 1\n")
    os.mkfifo(tmp_path / "pipe.py")
    done = _lint_cli(tmp_path)  # reading the FIFO would hang until the timeout
    assert done.returncode == 0, done.stderr
    os.mkfifo(pytester.path / "pipe.py")
    pytester.makepyfile(test_ok="def test_ok():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "--ms-lint",
                                           timeout=60)
    assert "pipe.py" not in result.stdout.str()
    result.assert_outcomes(passed=2)  # test_ok and its file's lint item
