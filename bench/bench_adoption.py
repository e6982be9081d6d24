"""The plugin on a large suite written MindSpore's usual way, unedited (issue 10).

The suite is generated in the style of mindcv's ``tests/modules`` and MindSpore's own
tests: every test takes ``@pytest.mark.parametrize("mode", [ms.GRAPH_MODE,
ms.PYNATIVE_MODE])`` and calls ``ms.set_context(mode=mode)``. It holds:

- losses (MindSpore's nn losses) x reductions x batch sizes, the shape of mindcv's
  ``test_loss.py``;
- the seed guide's networks (its MyCell with pad_mode, a Conv+BN+Dense net, a training
  step with TrainOneStepCell);
- mindcv models (resnet18, mobilenet_v2) when mindcv is installed.

It reports, plugin on (all checks at their defaults) against plugin off (``-p no:msgraph``):
outcomes (identical?), the msgraph summary's length, and the wall time of whole runs,
alternating (median of --runs).

Usage: python bench/bench_adoption.py [--runs 3]
"""
from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from bench_both_modes import runs_from_command_line

LOSSES = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor

ms.set_context(runtime_num_threads=1)

LOSSES = {
    "cross_entropy": (lambda r: nn.CrossEntropyLoss(reduction=r), "labels"),
    "bce_logits": (lambda r: nn.BCEWithLogitsLoss(reduction=r), "probs"),
    "mse": (lambda r: nn.MSELoss(reduction=r), "values"),
    "l1": (lambda r: nn.L1Loss(reduction=r), "values"),
    "smooth_l1": (lambda r: nn.SmoothL1Loss(reduction=r), "values"),
    "huber": (lambda r: nn.HuberLoss(reduction=r), "values"),
    "soft_margin": (lambda r: nn.SoftMarginLoss(reduction=r), "signs"),
}


def targets(kind, n):
    rng = np.random.RandomState(n)
    if kind == "labels":
        return Tensor(rng.randint(0, 5, (n,)).astype(np.int32))
    if kind == "probs":
        return Tensor(rng.rand(n, 5).astype(np.float32))
    if kind == "signs":
        return Tensor(np.sign(rng.randn(n, 5)).astype(np.float32))
    return Tensor(rng.randn(n, 5).astype(np.float32))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss(mode, reduction, n, name):
    ms.set_context(mode=mode)
    build, kind = LOSSES[name]
    logits = Tensor(np.random.RandomState(0).randn(n, 5).astype(np.float32))
    out = build(reduction)(logits, targets(kind, n))
    assert np.all(np.isfinite(out.asnumpy()))
'''

SEED_NETWORKS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor

ms.set_context(runtime_num_threads=1)


class MyCell(nn.Cell):
    """The seed guide's unit-test example, with PyTorch's padding."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(12, 24, 3, pad_mode="pad", padding=0, has_bias=True)

    def construct(self, x):
        return self.conv(x)


class ConvBNDense(nn.Cell):
    def __init__(self, classes):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, pad_mode="pad", padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Dense(8 * 8 * 8, classes)

    def construct(self, x):
        return self.fc(self.bn(self.conv(x)).reshape(x.shape[0], -1))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("size", [9, 12])
def test_my_cell(mode, size):
    ms.set_context(mode=mode)
    out = MyCell()(Tensor(np.ones((2, 12, size, size), np.float32)))
    assert out.shape == (2, 24, size - 2, size - 2)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("classes", [3, 10])
def test_conv_bn_dense(mode, train, classes):
    ms.set_context(mode=mode)
    net = ConvBNDense(classes)
    net.set_train(train)
    out = net(Tensor(np.random.randn(4, 3, 8, 8).astype(np.float32)))
    assert out.shape == (4, classes)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("steps", [1, 3])
def test_train_one_step(mode, steps):
    ms.set_context(mode=mode)
    net = ConvBNDense(10)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    step.set_train()
    x = Tensor(np.random.randn(4, 3, 8, 8).astype(np.float32))
    y = Tensor(np.random.randint(0, 10, (4,)).astype(np.int32))
    for _ in range(steps):
        assert np.isfinite(step(x, y).asnumpy())
'''

MINDCV_MODELS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import Tensor

ms.set_context(runtime_num_threads=1)
mindcv = pytest.importorskip("mindcv")


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("name", ["resnet18", "mobilenet_v2_100"])
def test_model_forward(mode, name):
    ms.set_context(mode=mode)
    net = mindcv.create_model(name, num_classes=10, pretrained=False)
    net.set_train(False)
    out = net(Tensor(np.random.randn(2, 3, 32, 32).astype(np.float32)))
    assert out.shape == (2, 10)
'''


def run(args: list, cwd: Path) -> tuple[float, float, str]:
    """Whole-process seconds, seconds inside the tests (JUnit XML), and the output."""
    xml = cwd / "timing.xml"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-rA",
                           f"--junitxml={xml}", *args], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    in_tests = sum(float(case.get("time", 0)) for case in ElementTree.parse(xml).iter("testcase"))
    return wall, in_tests, done.stdout


def outcomes(stdout: str) -> dict:
    words = ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS")
    found = {}
    for line in stdout.splitlines():
        head, _, rest = line.partition(" ")
        if head in words and rest:
            found[rest.split(" - ")[0].strip()] = head
    return found


def summary_length(stdout: str) -> int:
    section = stdout.split("= msgraph =")[-1].split("short test summary")[0]
    return len([line for line in section.splitlines() if line.strip() and not line.startswith("=")])


def main() -> None:
    runs = runs_from_command_line(__doc__, default=3)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_losses.py").write_text(LOSSES)
        (root / "test_seed_networks.py").write_text(SEED_NETWORKS)
        with_mindcv = importlib.util.find_spec("mindcv") is not None
        if with_mindcv:
            (root / "test_mindcv_models.py").write_text(MINDCV_MODELS)
        times: dict[str, list] = {"off": [], "on": [], "off in tests": [], "on in tests": []}
        for _ in range(runs):  # alternate, so drift in machine load hits both sides alike
            wall, in_tests, off_out = run(["-p", "no:msgraph"], root)
            times["off"].append(wall)
            times["off in tests"].append(in_tests)
            wall, in_tests, on_out = run([], root)
            times["on"].append(wall)
            times["on in tests"].append(in_tests)
        off, on = outcomes(off_out), outcomes(on_out)
        print(f"tests: {len(on)} (mindcv models {'included' if with_mindcv else 'left out: mindcv not installed'})")
        print(f"outcomes identical with the plugin off: {off == on}")
        for nodeid in sorted(set(off) | set(on)):
            if off.get(nodeid) != on.get(nodeid):
                print(f"  {nodeid}: off {off.get(nodeid)}, on {on.get(nodeid)}")
        print(f"msgraph summary: {summary_length(on_out)} lines")
        for side in times:
            print(f"  plugin {side:<13} median {statistics.median(times[side]):7.2f} s   "
                  f"runs {' '.join(f'{t:.2f}' for t in times[side])}")
        for what in ("", " in tests"):
            ratio = statistics.median(times["on" + what]) / statistics.median(times["off" + what])
            print(f"  ratio on / off{what or ' (whole process)'}: {ratio:.3f}")
        print("\n".join(on_out.split("= msgraph =")[-1].split("short test summary")[0].splitlines()[:40]))


if __name__ == "__main__":
    main()
