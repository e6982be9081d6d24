"""Issue 39: a variant that raises where its twin passes is placed at the statement that is the cause: the rejected
statement in a helper module construct calls, the line above that made the failing value, the frame of an installed
package outside the rootdir (a model zoo's loss), never the test's call for any of them; and a variant whose fixture
raises gets the verdict a raising call gets."""

HELPER = '''
def safe_double(x):
    try:
        y = x * 2
    except ValueError:
        y = x
    return y
'''

ZOO_LOSS = '''
from mindspore import nn, ops


class RatioLoss(nn.Cell):
    def construct(self, x):
        r = x / (x + 1)
        keep = ops.maximum(r, 1 / r).max(1) < 4.0
        return keep.sum()
'''

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor
from helper import safe_double
from zoo.losses import RatioLoss


class UsesHelper(nn.Cell):
    def construct(self, x):
        return safe_double(x)


class Tries(nn.Cell):
    def construct(self, x):
        try:
            y = x * 3
        except ValueError:
            y = x
        return y


class MinAxis(nn.Cell):
    def construct(self, x):
        v = x.min(1)
        return v + 1.0


class NamedAxis(nn.Cell):
    def construct(self, x):
        v = x.min(axis=1)
        return v + 1.0


@pytest.mark.both_modes
def test_helper_function():
    out = UsesHelper()(Tensor(np.ones(2, np.float32)))
    assert out.shape == (2,)


@pytest.mark.both_modes
def test_own_try():
    out = Tries()(Tensor(np.ones(2, np.float32)))
    assert out.shape == (2,)


@pytest.mark.both_modes
@pytest.mark.parametrize("cell", [MinAxis, NamedAxis], ids=["positional", "lookalike"])
def test_min_axis(cell):
    cell()(Tensor(np.ones((2, 3), np.float32)))


@pytest.fixture
def tried():
    net = Tries()
    net(Tensor(np.ones(2, np.float32)))  # GRAPH_MODE compiles it here, in the fixture
    return net


@pytest.mark.both_modes
def test_fixture_compiles(tried):
    assert tried is not None


@pytest.mark.both_modes
def test_zoo_loss():
    RatioLoss()(Tensor(np.ones((2, 3), np.float32)))
'''


def _line(source, text):
    return source.lstrip("\n").splitlines().index(text) + 1


def test_each_failure_is_placed_at_its_cause(pytester, run_pytest, monkeypatch):
    zoo = pytester.mkdir("site") / "zoo"  # outside the rootdir (rootdir is the tests' dir below)
    zoo.mkdir()
    (zoo / "__init__.py").write_text("")
    (zoo / "losses.py").write_text(ZOO_LOSS.lstrip("\n"))
    project = pytester.mkdir("project")
    (project / "helper.py").write_text(HELPER.lstrip("\n"))
    (project / "test_places.py").write_text(SUITE.lstrip("\n"))
    (project / "pytest.ini").write_text("[pytest]\n")
    monkeypatch.setenv("PYTHONPATH", f"{pytester.path / 'site'}")
    monkeypatch.chdir(project)
    run = run_pytest(str(project / "test_places.py"))
    found = {f["nodeid"].split("::")[1]: f for f in run.findings("mode_parity")}
    helper = found["test_helper_function[GRAPH_MODE]"]
    assert helper["path"].endswith("helper.py") and helper["line"] == _line(HELPER, "    try:"), helper["message"]
    assert f"compiled from test_places.py:{_line(SUITE, '        return safe_double(x)')}" in helper["message"]
    own = found["test_own_try[GRAPH_MODE]"]
    assert own["path"].endswith("test_places.py") and own["line"] == _line(SUITE, "        try:"), own["message"]
    axis = found["test_min_axis[PYNATIVE_MODE-positional]"]
    assert axis["line"] == _line(SUITE, "        v = x.min(1)") and axis["rule"] == "MSG009", axis["message"]
    failing = _line(SUITE, "        v = x.min(1)") + 1  # the return below it
    assert f"which made the value that fails at test_places.py:{failing}" in axis["message"]
    zoo_loss = found["test_zoo_loss[PYNATIVE_MODE]"]
    assert zoo_loss["path"].endswith("zoo/losses.py"), zoo_loss["message"]
    assert zoo_loss["line"] == _line(ZOO_LOSS, "        keep = ops.maximum(r, 1 / r).max(1) < 4.0")
    assert zoo_loss["rule"] == "MSG009"
    fixture = found["test_fixture_compiles[GRAPH_MODE]"]  # a fixture's failure gets the verdict a call's gets
    assert fixture["line"] == own["line"] and fixture["rule"] == "MSG001", fixture["message"]
    assert run.outcomes()["test_places.py::test_fixture_compiles[GRAPH_MODE]"] == "error"
    assert not [name for name in found if "lookalike" in name]
    assert run.outcomes()["test_places.py::test_min_axis[GRAPH_MODE-lookalike]"] == "passed"
