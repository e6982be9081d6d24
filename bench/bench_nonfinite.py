"""Time mode_parity's experiments on a CRNN-like float16 recipe whose eager training step goes wrong.

The recipe: a conv backbone, a bidirectional ``nn.LSTM`` neck and a dense head,
``auto_mixed_precision(net, "O2")``, one ``nn.TrainOneStepCell`` step. MindSpore 2.10's
float16 LSTM backward on CPU is non-finite, or finite and different from run to run, in
PYNATIVE_MODE. After the mismatch, the PYNATIVE_MODE variant replays the step (every
sub-cell call recorded, gradients caught by ``ops.HookBackward``) until the place where
non-finite values start shows twice (the ``nonfinite`` experiment), and the GRAPH_MODE
variant re-runs the call (repeatability, a host random state, the float32 reference) and,
when the twin found no non-finite start, replays the step's backward (``step_replay``).
Each variant with ``mode_parity`` on is timed against the same variant with it off
(``ms_allow``): the difference is what the experiments cost. Goal: at most 3 times the
test's own time. ``--ms-check mode_parity=warn`` keeps the run green.

Usage: python bench/bench_nonfinite.py [--runs 3]
"""
from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from bench_both_modes import junit_times, runs_from_command_line

CRNN = (Path(__file__).resolve().parent.parent / "tests" / "data" / "crnn.py").read_text()

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn

OFF = pytest.mark.ms_allow("mode_parity")
REPS = [p for rep in range({runs}) for p in (pytest.param(rep, id=f"on-{{rep}}"),
                                             pytest.param(rep, id=f"off-{{rep}}", marks=OFF))]


''' + CRNN + '''

@pytest.mark.both_modes
@pytest.mark.parametrize("rep", REPS)
def test_crnn_float16_step(rep):
    net = ms.amp.auto_mixed_precision(Crnn(), "O2")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.01))
    x = ms.Tensor((np.random.RandomState(0).randn(4, 1, 8, 32) * 100).astype(np.float32))
    y = ms.Tensor(np.zeros((4, 32, 11), np.float32))
    step(x, y)
'''


def main() -> None:
    runs = runs_from_command_line(__doc__, default=3)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_crnn.py").write_text(SUITE.format(runs=runs))
        report = root / "report.json"
        times: dict = {}
        args = ["-p", "no:randomly", "--ms-check", "mode_parity=warn", f"--ms-report={report}", "test_crnn.py"]
        for name, seconds in junit_times(args, root).items():
            parts = name.rstrip("]").split("[")[1].split("-")
            mode = next(p for p in parts if p.endswith("_MODE"))
            side = next(p for p in parts if p in ("on", "off"))
            times.setdefault((mode, side), []).append(seconds)
        findings = [f for f in json.loads(report.read_text())["findings"] if f["check"] == "mode_parity"]
        starts = [(f.get("nonfinite_start") or {}) for f in findings if f.get("step")]
        print(f"CRNN-like float16 recipe, one TrainOneStepCell step, {runs} alternating pairs (median)")
        print(f"  evidence named: {sorted({f.get('evidence') for f in findings}, key=str)}")
        print(f"  where non-finite values start: {[(s.get('phase'), s.get('path'), s.get('runs')) for s in starts]}")
        for mode in ("PYNATIVE_MODE", "GRAPH_MODE"):
            on, off = statistics.median(times[(mode, "on")]), statistics.median(times[(mode, "off")])
            print(f"  {mode:13}: mode_parity on {on:7.3f} s   off (the test's own time) {off:7.3f} s   "
                  f"experiments {on - off:7.3f} s = {(on - off) / off:.2f}x the test's own time (goal: <= 3x)")


if __name__ == "__main__":
    main()
