"""mode_parity localises a mismatch: the innermost sub-cell where the modes part, only after a mismatch."""

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class FrozenNoise(nn.Cell):
    def construct(self, x):
        return x + Tensor(np.random.randn(*x.shape).astype(np.float32))


class Encoder(nn.Cell):
    def __init__(self, noisy):
        super().__init__()
        self.dense = nn.Dense(4, 4)
        self.noise = FrozenNoise() if noisy else nn.ReLU()
        self.act = nn.Tanh()

    def construct(self, x):
        return self.act(self.noise(self.dense(x)))


class Neck(nn.Cell):
    def __init__(self, noisy):
        super().__init__()
        self.pre = nn.Dense(4, 4)
        self.encoder = Encoder(noisy)

    def construct(self, x):
        return self.encoder(self.pre(x))


class Net(nn.Cell):
    def __init__(self, noisy):
        super().__init__()
        self.backbone = nn.Dense(4, 4)
        self.neck = Neck(noisy)
        self.head = nn.Dense(4, 2)

    def construct(self, x):
        return self.head(self.neck(self.backbone(x)))


class OwnNoise(Net):
    def construct(self, x):
        return self.head(self.neck(self.backbone(x)) * Tensor(np.random.rand(1).astype(np.float32)))


def run_twice(net):
    for _ in range(2):  # the first call draws what the graph froze at compile time: the second one differs
        net(Tensor(np.ones((2, 4), np.float32)))
    assert not any(vars(sub).get("_lazy_forward_hook") for _, sub in net.cells_and_names())  # no hook left


@pytest.mark.both_modes
@pytest.mark.ms_max_compiles(1)
def test_frozen_leaf():
    run_twice(Net(noisy=True))


@pytest.mark.both_modes
def test_frozen_in_the_top_cell():
    run_twice(OwnNoise(noisy=False))


@pytest.mark.both_modes
def test_agreeing_lookalike():
    run_twice(Net(noisy=False))
'''


def _construct_of(cls):
    """The line of ``cls``'s construct in test_suite.py (pytester drops the leading newline)."""
    return SUITE.lstrip("\n").splitlines().index(f"class {cls}") + 2


def test_the_first_diverging_layer_is_named(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    run = run_pytest("--ms-annotations=github")
    found = {f["nodeid"].split("::")[1]: f["message"] for f in run.findings("mode_parity")}
    # The annotation points at the call that differs, not at the @pytest.mark.both_modes line.
    lines = SUITE.lstrip("\n").splitlines()
    call = lines.index("        net(Tensor(np.ones((2, 4), np.float32)))") + 1
    definition = lines.index("def test_frozen_leaf():")  # 1-based: its two marker lines and the def line
    annotations = [line for line in run.stdout().splitlines() if line.startswith("::error file=test_suite.py")]
    assert any(f"line={call},title=" in line and "[mode_parity]" in line for line in annotations), annotations
    assert not [line for line in annotations if any(f"line={n}," in line for n in range(definition - 1, definition + 2))]
    assert set(found) == {"test_frozen_leaf[GRAPH_MODE]", "test_frozen_in_the_top_cell[GRAPH_MODE]"}, found
    assert (f"The modes part first in 'neck.encoder.noise' (FrozenNoise, construct at "
            f"test_suite.py:{_construct_of('FrozenNoise(nn.Cell):')})"
            in found["test_frozen_leaf[GRAPH_MODE]"])
    assert ("No sub-cell call differs alone (3 sub-cell call(s) replayed alone in GRAPH_MODE on their PYNATIVE_MODE "
            f"arguments): the modes part in OwnNoise's own construct at test_suite.py:{_construct_of('OwnNoise(Net):')}."
            in found["test_frozen_in_the_top_cell[GRAPH_MODE]"])
    # Which side, and the experiment that says so: the numpy draw, found by a re-run from another random state.
    assert all("The GRAPH_MODE side is the wrong one: re-run eagerly from another numpy and Python random state"
               in message for message in found.values())
    outcomes = {k.split("::")[1]: v for k, v in run.outcomes().items()}
    assert outcomes["test_agreeing_lookalike[GRAPH_MODE]"] == outcomes["test_agreeing_lookalike[PYNATIVE_MODE]"] \
        == "passed"
    # The localising graphs are the plugin's: in no budget (ms_max_compiles(1) holds), in no recompile finding.
    assert "ms_max_compiles" not in run.stdout() and run.findings("recompile") == []


NONFINITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Gate(nn.Cell):
    """Eagerly the transposed view is not contiguous, and sqrt(0) has an infinite derivative there."""
    def __init__(self, trap):
        super().__init__()
        self.dense = nn.Dense(4, 4)
        self.trap = trap

    def construct(self, x):
        x = self.dense(x)
        if self.trap and not x.transpose().is_contiguous():
            return x + ops.sqrt(x * 0)
        return x


class Net(nn.Cell):
    def __init__(self, trap):
        super().__init__()
        self.backbone = nn.Dense(4, 4)
        self.extra = nn.Dense(4, 4)
        self.neck = Gate(trap)
        self.head = nn.Dense(4, 2)

    def construct(self, x):
        return self.head(self.neck(self.extra(self.backbone(x))))


def train(trap):
    net, loss = Net(trap), nn.MSELoss()
    optimizer = nn.SGD(net.trainable_params(), 0.01)

    def forward(x, y):
        return loss(net(x), y)

    _, grads = ms.value_and_grad(forward, None, optimizer.parameters)(Tensor(np.ones((2, 4), np.float32)),
                                                                      Tensor(np.zeros((2, 2), np.float32)))
    optimizer(grads)


@pytest.mark.both_modes
@pytest.mark.parametrize("trap", [True, False], ids=["nonfinite_from_the_neck", "finite_lookalike"])
def test_train(trap):
    train(trap)
'''


def test_where_non_finite_training_starts_is_found_by_replaying_the_step(pytester, run_pytest):
    """Truth, measured without the plugin: eagerly, Gate's sqrt(x * 0) has an infinite derivative at 0, so the
    gradient reaching 'neck' is finite and the one it passes on (to neck.dense and all before) is not. The
    declaration order (backbone, extra, neck, head) says nothing here: the place comes from the replay."""
    pytester.makepyfile(test_suite=NONFINITE)
    run = run_pytest()
    [step] = [f for f in run.findings("mode_parity") if f.get("step")]
    assert "PYNATIVE_MODE" in step["nodeid"] and "nonfinite_from_the_neck" in step["nodeid"]
    assert step["nonfinite_from"] == "neck", step["message"]
    assert step["nonfinite_start"]["phase"] == "backward" and step["nonfinite_start"]["cell"] == "Gate"
    assert "Non-finite values start in the backward of 'neck' (Gate, construct at test_suite.py:" in step["message"]
    assert "eager replays of the step from the same weights and inputs" in step["message"]
    assert not [f for f in run.findings() if "lookalike" in f["nodeid"]]


def test_the_place_where_non_finite_values_start_is_the_innermost_that_makes_them():
    import numpy as np

    from pytest_msgraph.checks.builtin.parity.nonfinite import _place

    ok, nan = np.ones(2, np.float32), np.full(2, np.nan, np.float32)

    def calls(leaf_out=ok, other_out=ok):
        # [cell, argument copies, output arrays, ..., calling call]: net (0) calls parent (1), which calls leaf (2)
        # and other (3).
        return [["net", (ok,), {}, [ok], -1], ["parent", (ok,), {}, [other_out], 0],
                ["leaf", (ok,), {}, [leaf_out], 1], ["other", (leaf_out,), {}, [other_out], 1]]

    # The forward first: a finite-in, non-finite-out call wins over any backward; its parent, non-finite too, is not
    # the innermost. Inputs are judged as they came in (finite_in, noted by the tap before the call).
    assert _place(calls(other_out=nan), {(2, "out", 0): ok, (2, "in", 0): nan},
                  {1: True, 2: True, 3: True}) == ("forward", 3)
    # The backward: the innermost of the calls that turn a finite output gradient into non-finite input ones.
    assert _place(calls(), {(1, "out", 0): ok, (1, "in", 0): nan, (2, "out", 0): ok, (2, "in", 0): nan},
                  {1: True, 2: True, 3: True}) == ("backward", 2)
    # Non-finite coming in is carried, not made: no place.
    assert _place(calls(leaf_out=nan, other_out=nan), {(3, "out", 0): nan, (3, "in", 0): nan},
                  {1: False, 2: False, 3: False}) is None
    # The top call is never tapped: its inputs are judged by the copies taken at the call (a NaN batch is carried).
    assert _place([["net", (nan,), {}, [nan], -1]], {}, {}) is None
    assert _place([["net", (ok,), {}, [nan], -1]], {}, {}) == ("forward", 0)
