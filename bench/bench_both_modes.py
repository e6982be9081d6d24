"""Time pytest-msgraph's own cost.

1. The same 12-item suite (a small CNN with BatchNorm, trained a few steps per
   test) written MindSpore's usual way -- parametrize('mode', ...) plus
   set_context, plugin off -- against @pytest.mark.both_modes with the plugin on.
   Runs alternate; the median time of each is compared.
2. The plugin's own work per test: 200 items with one tiny op each.
3. The plugin's load cost on a suite that never imports MindSpore.

Usage: python bench/bench_both_modes.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

# bench_cost.py, bench_syncs.py and tests/test_syncs.py train the same network: one definition.
SMALL_CNN = (Path(__file__).resolve().parent.parent / "tests" / "data" / "small_cnn.py").read_text()

NETWORK = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn

# One kernel thread: on a small machine, a thread pool racing the interpreter makes
# run-to-run noise (about 10%) larger than anything measured here. Same on both sides.
ms.set_context(runtime_num_threads=1)
''' + SMALL_CNN + '''

def train(steps, lr):
    net = SmallCNN()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), lr, 0.9))
    step.set_train()
    x = ms.Tensor(np.random.randn(16, 3, 16, 16).astype(np.float32))
    y = ms.Tensor(np.random.randint(0, 10, (16,)).astype(np.int32))
    return [float(step(x, y).asnumpy()) for _ in range(steps)]
'''

CASES = [(3, 0.01), (3, 0.05), (5, 0.01), (5, 0.05), (4, 0.02), (4, 0.03)]

BASELINE = NETWORK + '''

@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("steps, lr", {cases})
def test_train(mode, steps, lr):
    ms.set_context(mode=mode)
    losses = train(steps, lr)
    assert all(np.isfinite(losses))
'''.format(cases=CASES)

WITH_PLUGIN = NETWORK + '''

@pytest.mark.both_modes
@pytest.mark.parametrize("steps, lr", {cases})
def test_train(steps, lr):
    losses = train(steps, lr)
    assert all(np.isfinite(losses))
'''.format(cases=CASES)

# The plugin's own per-test work, with almost nothing of MindSpore's to hide it:
# 200 items whose body is one tiny op.
TINY_BASELINE = '''
import pytest
import mindspore as ms
from mindspore import ops

@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("i", range(100))
def test_tiny(mode, i):
    ms.set_context(mode=mode)
    assert ops.ones((2,), ms.float32).shape == (2,)
'''

TINY_PLUGIN = '''
import pytest
import mindspore as ms
from mindspore import ops

@pytest.mark.both_modes
@pytest.mark.parametrize("i", range(100))
def test_tiny(i):
    assert ops.ones((2,), ms.float32).shape == (2,)
'''

NO_MINDSPORE = '''
import pytest

@pytest.mark.parametrize("i", range(50))
def test_plain(i):
    assert i + 1 > i
'''


def junit_times(args: list[str], cwd: Path) -> dict[str, float]:
    """{test name: seconds in setup, call and teardown} of one pytest run, from JUnit XML."""
    xml = cwd / "timing.xml"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"--junitxml={xml}", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"benchmark run failed ({args}):\n{done.stdout}\n{done.stderr}")
    return {case.get("name"): float(case.get("time", 0)) for case in ElementTree.parse(xml).iter("testcase")}


def timed(args: list[str], cwd: Path) -> float:
    """Seconds pytest spent in the tests themselves.

    Interpreter start and the MindSpore import (about 1.5 s) are left out: they are the
    same on both sides and would only add noise. The plugin's own load cost is measured
    separately, as whole-process time, by wall_timed().
    """
    return sum(junit_times(args, cwd).values())


def wall_timed(args: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"benchmark run failed ({args}):\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - start


def compare(name_a: str, args_a: list, name_b: str, args_b: list, cwd: Path, runs: int, clock=timed) -> None:
    times = {name_a: [], name_b: []}
    for _ in range(runs):  # alternate, so drift in machine load hits both sides alike
        times[name_a].append(clock(args_a, cwd))
        times[name_b].append(clock(args_b, cwd))
    med_a, med_b = statistics.median(times[name_a]), statistics.median(times[name_b])
    for name, values in times.items():
        print(f"  {name:<28} median {statistics.median(values):7.3f} s   runs {' '.join(f'{v:.3f}' for v in values)}")
    print(f"  ratio {name_b} / {name_a}: {med_b / med_a:.3f}   difference {med_b - med_a:+.3f} s")


def runs_from_command_line(doc: str, default: int = 5) -> int:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=default)
    return parser.parse_args().runs


def main() -> None:
    runs = runs_from_command_line(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_baseline.py").write_text(BASELINE)
        (root / "test_plugin.py").write_text(WITH_PLUGIN)
        (root / "test_nomindspore.py").write_text(NO_MINDSPORE)
        (root / "test_tiny_baseline.py").write_text(TINY_BASELINE)
        (root / "test_tiny_plugin.py").write_text(TINY_PLUGIN)
        print(f"1. 12-item CNN+BatchNorm suite, {runs} alternating runs each (time in tests)")
        compare("parametrize+set_context", ["-p", "no:msgraph", "test_baseline.py"],
                "both_modes (plugin on)", ["test_plugin.py"], root, runs)
        print(f"2. 200 items with one tiny op each, {runs} alternating runs each (time in tests)")
        compare("parametrize+set_context", ["-p", "no:msgraph", "test_tiny_baseline.py"],
                "both_modes (plugin on)", ["test_tiny_plugin.py"], root, runs)
        print(f"3. 50 tests that never import MindSpore, {runs} alternating runs each (whole process)")
        compare("plugin off (-p no:msgraph)", ["-p", "no:msgraph", "test_nomindspore.py"],
                "plugin on", ["test_nomindspore.py"], root, runs, clock=wall_timed)


if __name__ == "__main__":
    main()
