"""Green gates that tell the truth (issue 29): annotations by outcome, ms_gradcheck's ok, check_init on
small parameters, node ids whatever the spelling of a path option. Real MindSpore, in subprocesses."""
import json
import re

import numpy as np
from conftest import NET_SOURCE, skip_without

from pytest_msgraph.checks.builtin.gradcheck_arithmetic import constant_factor, fix_text
from pytest_msgraph.porting.distributions import MIN_DISTRIBUTION, comparison
from pytest_msgraph.pytest_side.path_options import joined, spaced_values

# --- item 6: annotations tell the truth about the outcome ------------------------------------------

ANNOTATED = NET_SOURCE + '''

NET = Net()
X = ones(2, 3)


def forward_then_grad():
    NET(X)
    ops.GradOperation(get_by_list=True)(NET, NET.trainable_params())(X)


@pytest.mark.xfail(strict=True, reason="demonstrates a double forward")
def test_demonstrates_the_bug():
    forward_then_grad()


def test_has_the_bug():  # the look-alike: the same finding, not expected, is an error
    forward_then_grad()


@pytest.mark.xfail(strict=True, reason="a bug since fixed")
def test_fixed_bug():
    assert NET(X).shape == (2, 2)
'''
ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")


def _annotations(run):
    return [ANNOTATION.match(line).groups() for line in run.stdout().splitlines() if line.startswith("::")]


def test_annotations_follow_the_outcome_and_githubs_workspace(pytester, run_pytest, monkeypatch):
    pytester.makepyfile(test_annotated=ANNOTATED)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path.parent))  # the project is a subfolder of its repo
    folder = pytester.path.name
    serial = run_pytest("--ms-annotations=github")
    assert serial.outcomes() == {"test_annotated.py::test_demonstrates_the_bug": "xfailed",
                                 "test_annotated.py::test_fixed_bug": "failed",
                                 "test_annotated.py::test_has_the_bug": "failed"}
    found = {(kind, title.split("%3A%3A")[-1].split(" ")[0]): (path, message)
             for kind, path, _, title, message in _annotations(serial)}
    assert set(found) == {("notice", "test_demonstrates_the_bug"), ("error", "test_has_the_bug"),
                          ("error", "test_fixed_bug")}, serial.stdout()
    assert found["notice", "test_demonstrates_the_bug"][1].endswith("(expected: the test is marked xfail)")
    assert found["error", "test_has_the_bug"][1].startswith("[double_forward]")
    assert found["error", "test_fixed_bug"][1].startswith("[xfail strict] [XPASS(strict)] a bug since fixed: the "
                                                          "test passed though marked xfail(strict=True)")
    assert {path for path, _ in found.values()} == {f"{folder}/test_annotated.py"}
    parallel = run_pytest("--ms-annotations=github", "-n", "2")
    assert _annotations(parallel) == _annotations(serial)
    monkeypatch.delenv("GITHUB_WORKSPACE")  # not on GitHub: paths from the rootdir, as before
    assert {a[1] for a in _annotations(run_pytest("--ms-annotations=github"))} == {"test_annotated.py"}


# --- item 4: check_init on small parameters, and parameters without a counterpart -----------------

SMALL_INIT = '''
import pytest
import mindspore as ms
import torch
from mindspore import nn

SMALL = {
    "dense_64_1": (lambda: nn.Dense(64, 1), lambda: torch.nn.Linear(64, 1)),
    "dense_2_1": (lambda: nn.Dense(2, 1), lambda: torch.nn.Linear(2, 1)),
    "conv_1x1": (lambda: nn.Conv2d(1, 1, 1, has_bias=True), lambda: torch.nn.Conv2d(1, 1, 1)),
    "conv_bias": (lambda: nn.Conv2d(3, 8, 3, has_bias=True), lambda: torch.nn.Conv2d(3, 8, 3)),
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("layer", sorted(SMALL))
def test_small_parameters_that_agree(torch_parity, layer, seed):
    ms.set_seed(seed)
    torch.manual_seed(seed)
    ms_build, torch_build = SMALL[layer]
    result = torch_parity.check_init(ms_build(), torch_build())
    assert result.ok and not result.unchecked, result.compared
    assert "bounds" in {entry["compared_by"] for entry in result.compared}


@pytest.mark.xfail(strict=True, reason="a 1-element bias of ones lies outside PyTorch's U(-0.707, 0.707)")
def test_small_bias_out_of_range(torch_parity):
    assert torch_parity.check_init(nn.Dense(2, 1, bias_init="ones"), torch.nn.Linear(2, 1)).ok


@pytest.mark.xfail(strict=True, reason="MindSpore's Conv2d has no bias by default, PyTorch's has one")
def test_conv_without_bias(torch_parity):
    assert torch_parity.check_init(nn.Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)).ok


@pytest.mark.xfail(strict=True, reason="MindSpore's Dense has a bias, this Linear none")
def test_dense_with_a_bias_linear_without(torch_parity):
    assert torch_parity.check_init(nn.Dense(3, 2), torch.nn.Linear(3, 2, bias=False)).ok
'''


def test_check_init_bounds_small_parameters_and_flags_a_missing_bias(pytester, run_pytest):
    skip_without("torch", "check_init compares with PyTorch: pip install 'pytest-msgraph[torch]'")
    pytester.makepyfile(test_small_init=SMALL_INIT)
    run = run_pytest()
    outcomes = run.outcomes()
    assert [n for n, o in outcomes.items() if o != "passed"] == [
        "test_small_init.py::test_conv_without_bias", "test_small_init.py::test_dense_with_a_bias_linear_without",
        "test_small_init.py::test_small_bias_out_of_range"], run.stdout()
    assert set(outcomes.values()) == {"passed", "xfailed"}, run.stdout()
    found = {f["nodeid"].split("::")[1]: f["message"] for f in run.findings("torch_parity")}
    assert "bias (8,) has no counterpart in the MindSpore cell" in found["test_conv_without_bias"]
    assert "Fix: build the MindSpore layer with has_bias=True" in found["test_conv_without_bias"]
    assert "has_bias=False" in found["test_dense_with_a_bias_linear_without"]
    assert "1 of 1 value(s) outside PyTorch's range [-0.7071, 0.7071] (such as 1)" in found[
        "test_small_bias_out_of_range"]
    assert len(found) == 3


# --- item 3: ms_gradcheck(...).ok only when a gradient was checked and agreed ----------------------

GRADCHECKED = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class DropScale(nn.Cell):
    """Dropout, then times 2; its bprop is 1000 times too large."""

    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(p=0.5)

    def construct(self, x):
        return self.drop(x) * 2

    def bprop(self, x, out, dout):
        return (dout * 2000,)


class Square(nn.Cell):
    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (2 * x * dout,)


class ConstMatMul(nn.Cell):
    """No parameter, a float32 constant: float64 inputs fail in MatMul."""

    def __init__(self):
        super().__init__()
        self.w = Tensor(np.ones((3, 2), np.float32))

    def construct(self, x):
        return ops.matmul(x, self.w)


class Gather(nn.Cell):
    def construct(self, x, positions):
        return ops.gather(x, positions, 0)


X = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


@pytest.mark.both_modes
def test_dropout_in_training_checks_nothing(ms_gradcheck):
    cell = DropScale()
    cell.set_train(True)
    result = ms_gradcheck(cell, X)
    assert result.verdict == "nothing checked" and not result.checked
    assert result.ok


@pytest.mark.both_modes
@pytest.mark.xfail(strict=True, reason="gradcheck: the bprop is 1000 times too large")
def test_dropout_in_inference_checks_the_bprop(ms_gradcheck):
    cell = DropScale()
    cell.set_train(False)
    ms_gradcheck(cell, X)


@pytest.mark.both_modes
def test_integer_inputs_check_nothing(ms_gradcheck):
    assert ms_gradcheck(Square(), np.arange(12).reshape(3, 4).astype(np.int32)).ok


@pytest.mark.both_modes
def test_a_float_input_beside_an_integer_one_is_checked(ms_gradcheck):
    result = ms_gradcheck(Gather(), X, np.array([2, 0], np.int32))
    assert result.ok and [entry["index"] for entry in result.inputs] == [0]


@pytest.mark.both_modes
def test_float32_parameters_are_not_tried_in_float64(ms_gradcheck):
    result = ms_gradcheck(nn.Dense(4, 2), X)
    assert result.ok and result.precision == "float32"


@pytest.mark.both_modes
def test_a_float32_constant_is_found_without_an_error_line(ms_gradcheck):
    result = ms_gradcheck(ConstMatMul(), np.ones((2, 3), np.float32))
    assert result.ok and result.precision == "float32"


@pytest.mark.both_modes
def test_float64_where_the_cell_runs_in_it(ms_gradcheck):
    result = ms_gradcheck(Square(), X.astype(np.float64))
    assert result.ok and result.precision == "float64"
'''


def test_ms_gradcheck_ok_means_a_gradient_was_checked_and_agreed(pytester, run_pytest):
    pytester.makepyfile(test_gradchecked=GRADCHECKED)
    serial = run_pytest("-s", "-rA")  # nothing captured: a MindSpore log line would reach the terminal
    failed = {n.split("::")[1] for n, o in serial.outcomes().items() if o == "failed"}
    assert failed == {"test_dropout_in_training_checks_nothing[GRAPH_MODE]",
                      "test_dropout_in_training_checks_nothing[PYNATIVE_MODE]",
                      "test_integer_inputs_check_nothing[GRAPH_MODE]", "test_integer_inputs_check_nothing[PYNATIVE_MODE]"}
    assert set(serial.outcomes().values()) == {"passed", "failed", "xfailed"}, serial.stdout()
    out = serial.stdout() + serial.stderr()
    assert "[ERROR]" not in out and "ANALYZER" not in out
    # assert result.ok says why nothing was checked, and what to do.
    said = [line for line in out.splitlines() if "where False = GradcheckResult(nothing checked: " in line]
    assert any("forward is random (nn.Dropout in training" in line and "call cell.set_train(False) first" in line
               and "..." not in line for line in said), said
    assert any("no input is a float (int32)" in line and "pass at least one float input" in line for line in said)
    [bprop] = {f["message"] for f in serial.findings("gradcheck")}  # both modes, one text
    assert "off by a constant factor: finite differences are 0.001 times it" in bprop
    assert "factor 2" not in bprop
    parallel = run_pytest("-n", "2")
    assert parallel.outcomes() == serial.outcomes()


def test_the_factor_two_hint_only_when_the_gradient_is_off_by_exactly_two():
    analytic = np.array([0.5, -1.0, 2.0])
    assert constant_factor(analytic, 2 * analytic, 1e-5, 1e-7) == 2.0
    assert "a factor 2 of x*x forgotten" in fix_text(constant_factor(analytic, 2 * analytic, 1e-5, 1e-7))
    assert "twice the gradient" in fix_text(constant_factor(analytic, analytic / 2, 1e-5, 1e-7))
    assert "factor 2" not in fix_text(constant_factor(analytic, 1e-3 * analytic, 1e-5, 1e-7))
    assert constant_factor(analytic, analytic + np.array([0.0, 1.0, 0.0]), 1e-5, 1e-7) is None
    assert fix_text(None).endswith("check its formula.")


def test_small_samples_are_compared_by_bounds_and_large_ones_by_distribution():
    rng = np.random.default_rng(0)
    one, other = np.array([0.3]), np.array([-0.5])
    assert comparison(one, other, (-0.7071, 0.7071)) == (None, "bounds")  # two 1-element draws of one U(-a, a)
    assert comparison(one, other) == (None, "nothing")  # no documented range: said, not passed as compared
    why, how = comparison(np.array([1.0]), other, (-0.7071, 0.7071))
    assert how == "bounds" and why.startswith("1 of 1 value(s) outside PyTorch's range [-0.7071, 0.7071]")
    assert comparison(np.zeros(1), np.zeros(1)) == (None, "distribution")  # equal constants at any size
    # A small constant against a small random draw within the range: bounds alone would pass it.
    small = rng.uniform(-0.19, 0.19, 8)
    assert comparison(np.zeros(8), small, (-0.19, 0.19))[0] == "one side is a constant and the other is not"
    big = MIN_DISTRIBUTION * 10
    assert comparison(rng.uniform(-1, 1, big), rng.uniform(-1, 1, big)) == (None, "distribution")
    assert comparison(rng.normal(0, 0.01, big), rng.normal(0, 1, big))[0] is not None


def test_check_init_is_not_ok_when_nothing_was_compared():
    from pytest_msgraph.porting.init_parity import InitResult

    nothing = {"ms": "b", "torch": "b", "why": None, "compared_by": "nothing"}
    assert not InitResult(compared=[nothing]).ok and not InitResult().ok
    assert InitResult(compared=[nothing, dict(nothing, compared_by="bounds")]).ok


# --- item 5: node ids whatever the spelling of a path option --------------------------------------

SPELLED = '''
import pytest


@pytest.mark.project_marker
def test_a():
    pass


def test_fails():
    assert 1 == 2
'''


def _nodeids(path):
    return [t["nodeid"] for t in json.loads(path.read_text())["tests"]]


def test_node_ids_do_not_depend_on_how_the_report_path_is_spelled(pytester, run_pytest):
    pytester.makepyfile(test_spelled=SPELLED)
    # The project's ini must be found too: without it the marker is unknown and --strict-markers fails collection.
    pytester.makeini("[pytest]\naddopts = --strict-markers\nmarkers =\n    project_marker: the project's own\n")
    outside = pytester.path.parent / f"{pytester.path.name}-reports"
    outside.mkdir()
    reference = run_pytest(f"--ms-report={outside / 'ref.json'}", report=False)
    expected = _nodeids(outside / "ref.json")
    assert expected == ["test_spelled.py::test_a", "test_spelled.py::test_fails"], reference.stdout()
    spellings = {
        "space, absolute, outside": ["--ms-report", str(outside / "r1.json")],
        "space, relative, outside": ["--ms-report", f"../{outside.name}/r2.json"],
        "space, relative, inside": ["--ms-report", "reports/r3.json"],
        "space, absolute, inside": ["--ms-report", str(pytester.path / "r4.json")],
        "=, absolute, outside": [f"--ms-report={outside / 'r5.json'}"],
    }
    (pytester.path / "reports").mkdir()
    for name, args in spellings.items():
        written = (pytester.path / args[-1].split("=")[-1]).resolve()
        for run_args in (["-n", "2"], []):  # the placeholder exists when the workers start; the report, the 2nd time
            run = run_pytest(*run_args, *args, report=False, cache=True)
            assert _nodeids(written) == expected, (name, run_args, run.stdout())
            assert "rootdir: " + str(pytester.path) in run.stdout() and "configfile: tox.ini" in run.stdout()
            assert run.ret == 1, (name, run_args, run.stdout())
            lastfailed = json.loads((pytester.path / ".pytest_cache/v/cache/lastfailed").read_text())
            assert list(lastfailed) == ["test_spelled.py::test_fails"], (name, run_args)


def test_path_options_are_joined_to_their_value_for_the_workers():
    args = ["-n", "2", "--ms-report", "/x/r.json", "--ms-report=/y.json", "tests", "--ms-report"]
    assert spaced_values(args) == ["/x/r.json"]
    assert joined(args) == ["-n", "2", "--ms-report=/x/r.json", "--ms-report=/y.json", "tests", "--ms-report"]
