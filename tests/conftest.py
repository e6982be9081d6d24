"""Shared helpers: run pytest with the plugin in a fresh interpreter, as users do.

MindSpore does not survive being imported twice in one process, so every
end-to-end test goes through ``pytester.runpytest_subprocess``.
"""
import importlib.util
import json

import pytest

pytest_plugins = ["pytester"]


class Run:
    """A finished inner pytest run, with its JSON report when one was asked for."""

    def __init__(self, result, report_path):
        self.result = result
        self.report = json.loads(report_path.read_text()) if report_path.exists() else None

    @property
    def ret(self):
        return self.result.ret

    def stdout(self):
        return self.result.stdout.str()

    def stderr(self):
        return self.result.stderr.str()

    def outcomes(self):
        """{nodeid: outcome} from the JSON report."""
        return {t["nodeid"]: t["outcome"] for t in self.report["tests"]}

    def timeless_report(self):
        """The report without wall-clock fields, to compare two runs (serial and -n 2)."""
        report = json.loads(json.dumps(self.report))
        report.pop("started")
        report.pop("finished")
        for test in report["tests"]:
            test.pop("duration")
            test.pop("compile_seconds")
        return report

    def findings(self, check=None):
        return [f for f in self.report["findings"] if check is None or f["check"] == check]


def skip_without(module, reason):
    """Skip when ``module`` is not installed, without importing it here.

    pytester unloads what a test imported; torch and MindSpore (mindcv imports it) then
    fail on their second import in this worker ("SystemError: bad call flags"), so the
    outer process only looks for them and the inner run imports them.
    """
    if importlib.util.find_spec(module) is None:
        pytest.skip(reason)


@pytest.fixture
def run_pytest(pytester):
    """Run pytest in a subprocess in the pytester directory, writing a JSON report (in test order)."""

    def run(*args, report=True, randomly=False, cache=False):
        report_path = pytester.path / "msgraph-report.json"
        extra = [] if cache else ["-p", "no:cacheprovider"]
        if not randomly:  # pytest-randomly shuffles inner runs too: order-sensitive assertions opt in
            extra += ["-p", "no:randomly"]
        if report:
            extra.append(f"--ms-report={report_path}")
        result = pytester.runpytest_subprocess(*extra, *args)
        return Run(result, report_path)

    return run


@pytest.fixture
def usage_error(run_pytest):
    """Run with ``args``; assert exit code 4, ``message`` on stderr, and no traceback anywhere."""

    def check(*args, message):
        run = run_pytest(*args, report=False)
        assert run.ret == 4, run.stdout()
        assert message in run.stderr()
        assert "Traceback" not in run.stderr() + run.stdout()
        return run

    return check


# A small network used by several inner test files.
NET_SOURCE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3, 2)

    def construct(self, x):
        return self.dense(x)


def ones(*shape):
    return Tensor(np.ones(shape, np.float32))
'''


# A Cell GRAPH_MODE cannot compile (``Unsupported statement 'Try'``) that PYNATIVE_MODE runs.
TRY_CELL_SOURCE = '''
class TryNet(nn.Cell):
    def construct(self, x):
        try:
            y = x * 2
        except ValueError:
            y = x
        return y
'''


@pytest.fixture
def net_source():
    return NET_SOURCE


# A conftest that takes away what PyNative grads are probed through, on any release (2.9's functions,
# 2.7's and 2.8's methods): the probed checks must then be inactive and say why.
WITHOUT_GRAD_INTERNALS = '''
import mindspore.ops.composite.base as base
for name in ("_pynative_func_grad_forward", "_pynative_func_grad_backward"):
    if hasattr(base, name):
        delattr(base, name)
for cls in (base.GradOperation, base._Grad):
    if "_pynative_forward_run" in vars(cls):
        delattr(cls, "_pynative_forward_run")
'''


@pytest.fixture
def without_grad_internals():
    return WITHOUT_GRAD_INTERNALS


# Two mode pairs: a clean network fed np.random inputs, and one whose construct freezes numpy noise in
# GRAPH_MODE. Written as test_suite.py, mode_parity fails the noisy pair's GRAPH_MODE variant, NOISY_GRAPH.
CLEAN_AND_NOISY_PAIRS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class Noisy(nn.Cell):
    def construct(self, x):
        return x + ms.Tensor(np.random.randn(*x.shape).astype(np.float32))


@pytest.mark.both_modes
def test_clean():
    nn.Dense(3, 2)(Tensor(np.random.randn(2, 3).astype(np.float32)))


@pytest.mark.both_modes
def test_noisy():
    net, x = Noisy(), Tensor(np.zeros(4, np.float32))
    net(x)
    net(x)
'''
NOISY_GRAPH = "test_suite.py::test_noisy[GRAPH_MODE]"
