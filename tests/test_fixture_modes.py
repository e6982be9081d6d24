"""A fixture of a wider scope is made in each variant's own mode: no variant passes on work done in the other mode.

The truth, measured without the plugin on MindSpore 2.10 CPU: a network whose construct has a try statement runs in
PYNATIVE_MODE and fails to compile in GRAPH_MODE (``Unsupported statement 'Try'``). Run alone (``-k GRAPH_MODE``),
each GRAPH_MODE variant below errors in its setup; the whole file must say the same, whichever variant set the
fixture up first, whatever selects the pairs (both_modes, --ms-both-modes=all), serially and under -n 2.
"""
import pytest

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn

SETUPS = []


class Bad(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3, 2)

    def construct(self, x):
        try:
            y = self.dense(x)
        except ValueError:
            y = x
        return y


def forward():
    return Bad()(ms.Tensor(np.ones((2, 3), np.float32)))


@pytest.fixture(scope="module")
def logits():
    return forward()


@pytest.fixture(scope="module")
def good_logits():
    return nn.Dense(3, 2)(ms.Tensor(np.ones((2, 3), np.float32)))


@pytest.fixture(scope="module")
def plain_data():
    SETUPS.append("plain_data")  # numpy only: nothing the mode changes, so it is made once
    return np.ones((2, 3), np.float32)


@pytest.mark.both_modes
def test_module_fixture(logits):
    assert logits.shape == (2, 2)


@pytest.mark.both_modes
class TestClassFixture:
    @pytest.fixture(scope="class")
    @classmethod
    def class_logits(cls):
        return forward()

    def test_it(self, class_logits):
        assert class_logits.shape == (2, 2)


@pytest.mark.both_modes
class TestSetupClass:
    @classmethod
    def setup_class(cls):
        cls.out = forward()

    def test_it(self):
        assert self.out.shape == (2, 2)


@pytest.mark.both_modes
def test_good_module_fixture(good_logits):
    assert good_logits.shape == (2, 2)  # its GRAPH_MODE variant compiled the Dense in the fixture


@pytest.mark.both_modes
def test_plain_module_fixture_made_once(plain_data):
    assert SETUPS == ["plain_data"]
'''

SETUP_MODULE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn

from test_suite import Bad, forward

OUT = []


def setup_module():
    OUT.append(forward())


@pytest.mark.both_modes
def test_setup_module():
    assert OUT[-1].shape == (2, 2)
'''

EXPECTED = {
    "test_suite.py::test_module_fixture[PYNATIVE_MODE]": "passed",
    "test_suite.py::test_module_fixture[GRAPH_MODE]": "error",
    "test_suite.py::TestClassFixture::test_it[PYNATIVE_MODE]": "passed",
    "test_suite.py::TestClassFixture::test_it[GRAPH_MODE]": "error",
    "test_suite.py::TestSetupClass::test_it[PYNATIVE_MODE]": "passed",
    "test_suite.py::TestSetupClass::test_it[GRAPH_MODE]": "error",
    "test_suite.py::test_good_module_fixture[PYNATIVE_MODE]": "passed",
    "test_suite.py::test_good_module_fixture[GRAPH_MODE]": "passed",
    "test_suite.py::test_plain_module_fixture_made_once[PYNATIVE_MODE]": "passed",
    "test_suite.py::test_plain_module_fixture_made_once[GRAPH_MODE]": "passed",
    "test_setup_module.py::test_setup_module[PYNATIVE_MODE]": "passed",
    "test_setup_module.py::test_setup_module[GRAPH_MODE]": "error",
}


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_suite=SUITE, test_setup_module=SETUP_MODULE)
    return pytester


@pytest.mark.parametrize("args", [[], ["-n", "2"], ["--ms-both-modes=all"]], ids=["serial", "xdist", "all"])
def test_each_variant_gets_its_own_modes_fixture(suite, run_pytest, args):
    run = run_pytest(*args)
    assert run.outcomes() == EXPECTED, run.stdout()[-3000:]
    assert "Unsupported statement 'Try'" in run.stdout()
    # Said only where true: the numpy-only test compiled nothing; the others compiled in their fixtures, or failed.
    assert "1 GRAPH_MODE variant compiled nothing (ops outside a Cell or ms.jit run eagerly): " \
           "test_suite.py::test_plain_module_fixture_made_once[GRAPH_MODE]" in run.stdout()


def test_the_graph_variants_alone_end_as_in_the_whole_run(suite, run_pytest):
    alone = run_pytest("-k", "GRAPH_MODE")
    assert alone.outcomes() == {nodeid: outcome for nodeid, outcome in EXPECTED.items() if "GRAPH_MODE" in nodeid}


def test_a_graph_variant_first_makes_the_fixture_again_for_its_eager_variant(suite, run_pytest):
    """pytest-randomly may put a pair's GRAPH_MODE variant first: the eager variant then gets an eager fixture."""
    run = run_pytest("-p", "no:msgraph-variant-pairing", "test_suite.py::test_module_fixture[GRAPH_MODE]",
                     "test_suite.py::test_module_fixture[PYNATIVE_MODE]")
    assert run.outcomes() == {"test_suite.py::test_module_fixture[GRAPH_MODE]": "error",
                              "test_suite.py::test_module_fixture[PYNATIVE_MODE]": "passed"}, run.stdout()[-3000:]
