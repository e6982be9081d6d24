"""ms_gradcheck: a custom bprop or autodiff against finite differences, ``ok`` only when a gradient was checked
and agreed, and the fix it suggests. On real MindSpore; it needs no torch."""
import numpy as np

from pytest_msgraph.checks.builtin.gradcheck_arithmetic import constant_factor, fix_text

GRADCHECK = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor

CALLS = []


class Square(nn.Cell):
    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (2 * x * dout,)


class SquareForgot2(nn.Cell):
    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (x * dout,)


class Sampler(nn.Cell):
    def __init__(self):
        super().__init__()
        self.positions = Tensor(np.array([3, 1, 3], np.int32))

    def construct(self, x):
        return ops.gather(x, self.positions, 1)

    def bprop(self, x, out, dout):
        # The guide's bprop without its loop over the batch: segments summed along the columns.
        summed = ops.UnsortedSegmentSum()(dout.transpose(1, 0), self.positions, x.shape[1])
        return (summed.transpose(1, 0),)


class Noisy(nn.Cell):
    def construct(self, x):
        return x * Tensor(np.random.randn(*x.shape).astype(np.float32))


class Counted(nn.Cell):
    def construct(self, x):
        CALLS.append(1)
        return x * 3


@pytest.mark.both_modes
def test_a_correct_bprop(ms_gradcheck):
    result = ms_gradcheck(Square(), np.random.randn(3, 4))
    assert result.ok and result.precision == "float64" and result.inputs[0]["kind"] == "elementwise"


@pytest.mark.both_modes
def test_the_guides_sampler_vectorised(ms_gradcheck):
    result = ms_gradcheck(Sampler(), np.random.uniform(0, 3, (2, 5)).astype(np.float32))
    assert result.ok


@pytest.mark.both_modes
def test_a_bprop_that_forgot_the_factor_two(ms_gradcheck):
    ms_gradcheck(SquareForgot2(), np.random.randn(3, 4))


@pytest.mark.both_modes
def test_autodiff_with_float32_parameters_along_directions(ms_gradcheck):
    result = ms_gradcheck(nn.Dense(40, 3), np.random.randn(2, 40).astype(np.float32))
    assert result.ok and result.precision == "float32" and result.inputs[0]["kind"] == "directional"


def test_a_random_forward_is_said_not_failed(ms_gradcheck):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert not ms_gradcheck(Noisy(), np.random.randn(3).astype(np.float32)).checked


def test_two_forwards_per_direction(ms_gradcheck):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    ms_gradcheck(Counted(), np.random.randn(50).astype(np.float64), directions=5)
    assert len(CALLS) == 2 * 5 + 4  # + the float64 try, the first forward, its repeat, the grad's forward
'''


def test_ms_gradcheck_checks_a_bprop_against_finite_differences(pytester, run_pytest):
    pytester.makepyfile(test_gradcheck=GRADCHECK)
    run = run_pytest()
    outcomes = run.outcomes()
    assert {n: o for n, o in outcomes.items() if o != "passed"} == {
        "test_gradcheck.py::test_a_bprop_that_forgot_the_factor_two[GRAPH_MODE]": "failed",
        "test_gradcheck.py::test_a_bprop_that_forgot_the_factor_two[PYNATIVE_MODE]": "failed"}
    findings = run.findings("gradcheck")
    assert len(findings) == 2 and all(f["custom_bprop"] and f["input"] == 0 for f in findings)
    assert all("SquareForgot2 (custom bprop): the gradient of input 0 disagrees" in f["message"] for f in findings)
    assert "ms_gradcheck could not check Noisy: two forward passes on the same inputs differ" in run.stdout()


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
