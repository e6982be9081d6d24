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
    assert ("No sub-cell differs alone on its PYNATIVE_MODE inputs: the modes part in OwnNoise's own construct at "
            f"test_suite.py:{_construct_of('OwnNoise(Net):')}." in found["test_frozen_in_the_top_cell[GRAPH_MODE]"])
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


def test_where_non_finite_training_starts_is_named(pytester, run_pytest):
    pytester.makepyfile(test_suite=NONFINITE)
    run = run_pytest()
    [step] = [f for f in run.findings("mode_parity") if f.get("step")]
    assert "PYNATIVE_MODE" in step["nodeid"] and "nonfinite_from_the_neck" in step["nodeid"]
    assert step["nonfinite_from"] == "neck.dense"
    assert step["message"].startswith("Non-finite values start at 'neck.dense' (its parameter 'neck.dense.bias' is the "
                                      "last non-finite one in declaration order"), step["message"]
    assert not [f for f in run.findings() if "lookalike" in f["nodeid"]]


def test_a_non_finite_last_layer_has_no_start_to_name():
    from pytest_msgraph.checks.builtin.parity.pairs import _nonfinite_start

    bad = {"nonfinite": {"side": "PYNATIVE_MODE"}}
    assert _nonfinite_start([("a.w", bad), ("b.w", bad), ("c.w", None)], "PYNATIVE_MODE") == ("b", "b.w")
    assert _nonfinite_start([("a.w", bad), ("b.w", bad), ("c.w", bad)], "PYNATIVE_MODE") is None  # all of them
    assert _nonfinite_start([("a.w", bad), ("b.w", None)], "PYNATIVE_MODE") is None  # one: named already
    assert _nonfinite_start([("a.w", bad), ("b.w", bad), ("c.w", None)], "GRAPH_MODE") is None  # the other side
