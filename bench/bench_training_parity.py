"""Time training parity on mindcv's resnet18: mode_parity, stale_attribute and input_mutation on and off.

resnet18 (11 million parameters, 62 tensors) trained with nn.TrainOneStepCell and
Momentum, as a mode pair. After every step mode_parity reads every trained parameter
(beyond its 1 MiB budget it keeps a summary of each), stale_attribute reads the
settings the graph code uses, and input_mutation fingerprints the batch (PYNATIVE_MODE).

In one process, tests with the three checks on alternate with the same tests with them
turned off by @pytest.mark.ms_allow: both sides share the process, the warm-up and any
drift in machine load. The figure is the cost per training step, against the step.

Usage: python bench/bench_training_parity.py [--runs 3]
"""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench_both_modes import junit_times, runs_from_command_line

STEPS = 4
# mindcv's resnet18 as a training step on a batch of 4 at 112x112 (also bench_cost.py's memory workload).
RESNET18_STEP = '''

def resnet18_step():
    net = mindcv.create_model("resnet18", num_classes=10)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.CrossEntropyLoss()),
                               nn.Momentum(net.trainable_params(), 0.01, 0.9))
    step.set_train()
    x = ms.Tensor(np.random.randn(4, 3, 112, 112).astype(np.float32))
    y = ms.Tensor(np.array([0, 3, 5, 9], np.int32))
    return step, x, y
'''
SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn

mindcv = pytest.importorskip("mindcv")
''' + RESNET18_STEP.replace("{", "{{").replace("}", "}}") + '''
OFF = pytest.mark.ms_allow("mode_parity", "stale_attribute", "input_mutation")
REPS = [p for rep in range({runs}) for p in (pytest.param(rep, id=f"on-{{rep}}"),
                                             pytest.param(rep, id=f"off-{{rep}}", marks=OFF))]


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
@pytest.mark.parametrize("rep", REPS)
def test_resnet18_steps(rep, mode):
    step, x, y = resnet18_step()
    step(x, y)  # the compile (GRAPH_MODE) and the first step, left out of the figure below
    for _ in range({steps}):
        step(x, y)
'''


def main() -> None:
    runs = runs_from_command_line(__doc__, default=3)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_resnet.py").write_text(SUITE.format(runs=runs, steps=STEPS))
        times: dict = {}
        for name, seconds in junit_times(["-p", "no:randomly", "test_resnet.py"], root).items():
            side, mode = name.split("[")[1].split("-")[0], name.rstrip("]").split("-")[-1]  # test_x[on-0-1]
            times.setdefault((mode, side), []).append(seconds)
        print(f"resnet18, {STEPS + 1} TrainOneStepCell steps per test, checks on and off alternating, "
              f"{runs} pairs (median of the test's time)")
        for mode, label in (("0", "GRAPH_MODE"), ("1", "PYNATIVE_MODE")):
            on, off = statistics.median(times[(mode, "on")]), statistics.median(times[(mode, "off")])
            per_step = (on - off) / (STEPS + 1)
            print(f"  {label:<14} on {on:7.3f} s   off {off:7.3f} s   ratio {on / off:.3f}   "
                  f"cost {per_step * 1000:+7.1f} ms per step of {off / (STEPS + 1) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
