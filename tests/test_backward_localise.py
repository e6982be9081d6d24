"""mode_parity places a gradient difference in the backward (issue 39): a custom ``bprop`` that draws from numpy is
run at each eager backward and once, at compile time, in GRAPH_MODE; the forward is the same in both modes, so only
the sub-cells' backward, each run alone, shows where. The truth is measured without the plugin: each bprop cell's
backward run alone, twice per mode, in a plain script per mode."""
import subprocess
import sys

CELLS = '''
import numpy as np
import mindspore as ms
from mindspore import nn, Tensor


class Noisy(nn.Cell):
    """Forward: x; backward: the output gradient scaled by a numpy draw (a gradient-noise trick, ported)."""
    def construct(self, x):
        return x * 1.0

    def bprop(self, x, out, dout):
        return (dout * Tensor(np.random.uniform(0.5, 1.5, size=(1,)).astype(np.float32)),)


class Clipped(nn.Cell):
    """The look-alike: a custom bprop that computes only from its arguments (a gradient clip)."""
    def construct(self, x):
        return x * 1.0

    def bprop(self, x, out, dout):
        return (dout.clip(-0.5, 0.5),)


class Block(nn.Cell):
    def __init__(self, noisy):
        super().__init__()
        self.dense = nn.Dense(4, 4)
        self.clip = Clipped()
        self.scale = Noisy() if noisy else nn.Identity()

    def construct(self, x):
        return self.scale(self.clip(self.dense(x)))


class Net(nn.Cell):
    def __init__(self, noisy):
        super().__init__()
        self.stem = nn.Dense(4, 4)
        self.block = Block(noisy)
        self.head = nn.Dense(4, 1)

    def construct(self, x):
        return self.head(self.block(self.stem(x))).sum()
'''

TRUTH = CELLS + '''
import sys

ms.set_context(mode=getattr(ms, sys.argv[1]))
np.random.seed(0)
x, dout = Tensor(np.ones((2, 4), np.float32)), Tensor(np.full((2, 4), 0.8, np.float32))
for cell in (Clipped(), Noisy()):
    grad = ms.ops.GradOperation(sens_param=True)(cell)
    print(type(cell).__name__, [round(float(grad(x, dout).asnumpy().sum()), 5) for _ in range(2)])
'''

SUITE = '''
import pytest
''' + CELLS + '''

def train(noisy):
    ms.set_seed(0)
    net = Net(noisy)
    grad_fn = ms.value_and_grad(net, None, net.trainable_params())
    for _ in range(3):  # the first call draws what the graph froze at compile time: the second one differs
        loss, grads = grad_fn(Tensor(np.ones((2, 4), np.float32)))
    # No hook left: a registered backward hook fills these slots, and its handle's remove() empties only the first.
    assert not any(vars(sub).get(slot) for _, sub in net.cells_and_names()
                   for slot in ("_lazy_backward_hook", "_cell_backward_hook"))


@pytest.mark.both_modes
def test_gradient_noise_in_a_bprop():
    train(noisy=True)


@pytest.mark.both_modes
def test_a_clipping_bprop_lookalike():
    train(noisy=False)
'''


def test_the_truth_without_the_plugin(tmp_path):
    script = tmp_path / "truth.py"
    script.write_text(TRUTH)
    printed = {mode: subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True,
                                    check=True).stdout.splitlines()[-2:] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")}
    graph = {line.split()[0]: line.split(" ", 1)[1] for line in printed["GRAPH_MODE"]}
    eager = {line.split()[0]: line.split(" ", 1)[1] for line in printed["PYNATIVE_MODE"]}
    assert graph["Clipped"] == eager["Clipped"] == "[4.0, 4.0]"  # the clip: the same, call after call, in both
    first, second = eval(eager["Noisy"])
    assert first != second  # eagerly, a new draw at each backward
    assert len(set(eval(graph["Noisy"]))) == 1  # in the graph, the draw made at compile time, every call


def test_a_bprop_that_draws_from_numpy_is_the_place_and_a_clipping_bprop_is_not(pytester, run_pytest):
    pytester.makepyfile(test_bprop=SUITE)
    run = run_pytest()
    [finding] = run.findings("mode_parity")
    assert finding["nodeid"] == "test_bprop.py::test_gradient_noise_in_a_bprop[GRAPH_MODE]", finding
    assert finding["evidence"] == "host_random", finding["message"]
    at = finding["diverges_at"]
    assert (at["path"], at["cell"], at["kind"]) == ("block.scale", "Noisy", "bprop"), at
    assert at["skipped"] == 1, at  # stem: the network's input has no gradient, so its backward is not compared
    written = (pytester.path / "test_bprop.py").read_text().splitlines()
    line = written.index("    def bprop(self, x, out, dout):") + 1  # Noisy's, the first bprop
    assert at["where"] == f"test_bprop.py:{line}", at
    assert (f"The modes part in the backward of 'block.scale' (Noisy, its bprop at test_bprop.py:{line})"
            in finding["message"])
    outcomes = {k.split("::")[1]: v for k, v in run.outcomes().items()}
    assert outcomes == {"test_gradient_noise_in_a_bprop[PYNATIVE_MODE]": "passed",
                        "test_gradient_noise_in_a_bprop[GRAPH_MODE]": "failed",
                        "test_a_clipping_bprop_lookalike[PYNATIVE_MODE]": "passed",
                        "test_a_clipping_bprop_lookalike[GRAPH_MODE]": "passed"}, outcomes


def test_a_tapped_output_keeps_its_tuple_type():
    """The tap rebuilds an output with its tensors marked: a namedtuple stays one (the caller reads its fields)."""
    from collections import namedtuple

    from pytest_msgraph.checks.builtin.parity.backward import _rebuilt

    Out = namedtuple("Out", "logits aux")
    assert _rebuilt(Out(1, 2), [3, 4]) == Out(3, 4) and type(_rebuilt(Out(1, 2), [3, 4])) is Out
    assert type(_rebuilt((1, 2), [3, 4])) is tuple
