"""A run with the plugin ends clean: no "Exception ignored in: <function Cell.__del__>" at exit.

MindSpore 2.10 memoises every jit-compiled function for the life of the process; a training
step's ``forward`` keeps its net alive until Python empties MindSpore's modules at exit, and each
of the net's Cells then prints a traceback (mindspore_side/session_end.py). The same suite is run
without the plugin to prove it reproduces those lines where the release has the cache.
"""
import importlib.metadata
import sys

import pytest
from conftest import skip_without

# Training steps written three ways users write them, each compiled in GRAPH_MODE at least once.
# Importing mindcv, as the suite did, changes the order in which Python empties
# MindSpore's modules at exit so that mindspore.nn.cell goes before the cache (measured on 2.10:
# without it this suite happens to end clean, with it every Cell of its nets prints a traceback).
TRAINING_SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn
import mindcv  # noqa: F401


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.head = nn.SequentialCell([nn.ReLU(), nn.Dense(3, 2)])

    def construct(self, x):
        return self.head(self.bn(self.dense(x)))


def train_step(jit=False):
    net = Net()
    loss_fn = nn.CrossEntropyLoss()
    opt = nn.SGD(net.trainable_params(), 0.01)

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)

    def step(x, y):
        loss, grads = grad_fn(x, y)
        opt(grads)
        return loss

    net.set_train()
    return ms.jit(step) if jit else step


def batch():
    return ms.Tensor(np.ones((4, 4), np.float32)), ms.Tensor(np.array([0, 1, 0, 1], np.int32))


@pytest.mark.both_modes
def test_marked():
    assert np.isfinite(train_step()(*batch()).asnumpy())


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_usual_way(mode):
    ms.set_context(mode=mode)
    assert np.isfinite(train_step()(*batch()).asnumpy())


def test_jit_step():
    assert np.isfinite(train_step(jit=True)(*batch()).asnumpy())
'''

DEL_LINE = "Exception ignored in: <function Cell.__del__"

# How many Cells outlive the session, counted after pytest is done (atexit runs before Python empties
# any module): the nets of this suite are all local, so a run that freed everything says 0.
ALIVE_AT_EXIT = '''
import atexit
import gc
import sys


def _is_cell(obj, cell_type):
    try:
        return isinstance(obj, cell_type)
    except ReferenceError:  # a weak proxy whose object is gone
        return False


def _say_alive():
    cell = sys.modules.get("mindspore.nn.cell")
    if cell is not None:
        alive = sum(_is_cell(obj, cell.Cell) for obj in gc.get_objects())
        print(f"cells alive at exit: {alive}", file=sys.stderr)


atexit.register(_say_alive)
'''


def alive_at_exit(run):
    """The counts every process of the run said (the controller and each xdist worker)."""
    text = run.stderr() + "\n" + run.stdout()
    return [int(line.rsplit(":", 1)[1]) for line in text.splitlines() if line.startswith("cells alive at exit:")]


def memoises_compiled_functions() -> bool:
    """Whether the installed MindSpore keeps jit-compiled functions to the end (measured: 2.10)."""
    major, minor = (int(p) for p in importlib.metadata.version("mindspore").split(".")[:2])
    return (major, minor) >= (2, 10)


@pytest.fixture
def training_suite(pytester):
    skip_without("mindcv", "mindcv is not installed (pip install 'pytest-msgraph[test]')")
    pytester.makepyfile(test_training=TRAINING_SUITE)
    pytester.makeconftest(ALIVE_AT_EXIT)


def test_a_run_with_the_plugin_ends_clean(training_suite, run_pytest):
    run = run_pytest()
    assert run.ret == 0, run.stdout()
    assert len(run.outcomes()) == 5
    assert DEL_LINE not in run.stderr() + run.stdout()
    assert alive_at_exit(run) == [0]  # nothing left for Python's teardown to free, whatever its order


def test_the_suite_reproduces_the_lines_without_the_plugin(training_suite, run_pytest):
    # What the plugin-on test above would see if the plugin freed nothing: this is its proof.
    run = run_pytest("-p", "no:msgraph", report=False)
    assert run.ret == 0, run.stdout()
    printed = (run.stderr() + run.stdout()).count(DEL_LINE)
    [alive] = alive_at_exit(run)
    if memoises_compiled_functions():
        assert printed > 0 and alive > 0
    else:
        assert printed == 0 and alive == 0  # 2.7.2 to 2.9.0 keep no compiled function: nothing to free


def test_a_run_under_xdist_ends_clean(training_suite, run_pytest):
    run = run_pytest("-n", "2")
    assert run.ret == 0, run.stdout()
    assert DEL_LINE not in run.stderr() + run.stdout()
    # Each of the two workers says its count (the controller never imports MindSpore, so it says none).
    assert alive_at_exit(run) == [0, 0]


def test_release_imports_nothing_where_mindspore_was_never_imported(pytester):
    # The outer process must not import MindSpore (it does not survive a second import), so
    # the promise is checked in a fresh interpreter.
    result = pytester.run(
        sys.executable, "-c",
        "import sys; from pytest_msgraph.mindspore_side.session_end import release_user_objects; "
        "assert release_user_objects() == 0; assert 'mindspore' not in sys.modules; print('clean')")
    assert result.ret == 0, result.stderr.str()
    assert "clean" in result.stdout.str()
