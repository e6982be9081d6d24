"""Time mode_parity's localising on mindcv's resnet18 with one numpy-frozen leaf.

The leaf is ``layer4.1.relu`` replaced by a ReLU that adds ``np.random`` noise: GRAPH_MODE
freezes the draw at compile time, so the second call's outputs differ and mode_parity
localises the mismatch (an eager re-run with hooks, then each child alone in GRAPH_MODE
on its recorded inputs, down to the leaf). The same GRAPH_MODE test with mode_parity
turned off (``ms_allow``) is the test's own time; the difference is what a mismatch
costs (localising and the eager repeatability re-runs). Goal: at most 3 times the test's
own time. ``--ms-check mode_parity=warn`` keeps the run green. The session runs again with
``--ms-repro`` (issue 41): what writing the leaf's repro.py and data.npz and running it once in a
fresh interpreter adds to each mismatch.

Usage: python bench/bench_localise.py [--runs 3]
"""
from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from bench_both_modes import junit_times, runs_from_command_line

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops

mindcv = pytest.importorskip("mindcv")
OFF = pytest.mark.ms_allow("mode_parity")
REPS = [p for rep in range({runs}) for p in (pytest.param(rep, id=f"on-{{rep}}"),
                                             pytest.param(rep, id=f"off-{{rep}}", marks=OFF))]


class FrozenNoiseReLU(nn.Cell):
    def construct(self, x):
        return ops.relu(x) + ms.Tensor(np.random.randn(*x.shape).astype(np.float32) * 0.01)


@pytest.mark.both_modes
@pytest.mark.parametrize("rep", REPS)
def test_resnet18_frozen_leaf(rep):
    net = mindcv.create_model("resnet18", num_classes=10)
    net.layer4[1].relu = FrozenNoiseReLU()
    net.set_train(False)
    x = ms.Tensor(np.random.RandomState(0).randn(2, 3, 64, 64).astype(np.float32))
    net(x)  # the first call draws what GRAPH_MODE froze at compile time
    net(x)  # the second differs: localised when mode_parity is on
'''


def _times(args: list[str], root: Path) -> dict:
    """{(mode, "on" or "off"): [seconds per rep]} of one session."""
    times: dict = {}
    for name, seconds in junit_times(args, root).items():
        parts = name.rstrip("]").split("[")[1].split("-")  # test_x[GRAPH_MODE-on-0], in either order
        mode = next(p for p in parts if p.endswith("_MODE"))
        side = next(p for p in parts if p in ("on", "off"))
        times.setdefault((mode, side), []).append(seconds)
    return times


def main() -> None:
    runs = runs_from_command_line(__doc__, default=3)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_resnet.py").write_text(SUITE.format(runs=runs))
        report = root / "report.json"
        args = ["-p", "no:randomly", "--ms-check", "mode_parity=warn", f"--ms-report={report}", "test_resnet.py"]
        times = _times(args, root)
        at = [f["diverges_at"] for f in json.loads(report.read_text())["findings"] if f.get("diverges_at")]
        found = sum(a["path"] == "layer4.1.relu" for a in at)
        print(f"sub-cells run alone in GRAPH_MODE per localising: {sorted({a['graph_runs'] for a in at})}")
        on, off = statistics.median(times[("GRAPH_MODE", "on")]), statistics.median(times[("GRAPH_MODE", "off")])
        print(f"resnet18 with layer4.1.relu frozen, GRAPH_MODE variant, {runs} alternating pairs (median); "
              f"localised to layer4.1.relu in {found} of {runs} runs")
        print(f"  mode_parity on {on:7.3f} s   off (the test's own time) {off:7.3f} s   "
              f"localising and re-runs {on - off:7.3f} s = {(on - off) / off:.2f}x the test's own time (goal: <= 3x)")
        with_repro = _times([*args, f"--ms-repro={root / 'repros'}"], root)
        repros = [f["repro"] for f in json.loads(report.read_text())["findings"] if f.get("repro")]
        on_repro = statistics.median(with_repro[("GRAPH_MODE", "on")])
        print(f"  with --ms-repro: {on_repro:7.3f} s, the repro written and run once in a fresh process "
              f"+{on_repro - on:.3f} s; reproduced in {sum(r['reproduced'] for r in repros)} of {len(repros)}")


if __name__ == "__main__":
    main()
