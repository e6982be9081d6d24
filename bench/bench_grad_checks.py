"""Time the double_forward and bn_update_count checks on a PyNative training loop.

A small CNN with BatchNorm trained 60 steps with nn.TrainOneStepCell, and 60 steps
with ms.value_and_grad plus an optimizer, in PYNATIVE_MODE.

1. In one process, loops with both checks on alternate with the same loops with the
   checks turned off by @pytest.mark.ms_allow: the cleanest comparison, since both
   sides share the process, the warm-up and any drift in machine load.
2. Whole runs with the plugin on against the plugin off (-p no:msgraph), alternating.

Usage: python bench/bench_grad_checks.py [--runs 5]
"""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench_both_modes import NETWORK, compare, junit_times, runs_from_command_line

STEPS = 60

SUITE = NETWORK + '''

CHECKS_OFF = pytest.mark.ms_allow("double_forward", "bn_update_count")
PAIRS = [p for rep in range({runs}) for p in (pytest.param(rep, id=f"on-{{rep}}"),
                                              pytest.param(rep, id=f"off-{{rep}}", marks=CHECKS_OFF))]


def data():
    x = ms.Tensor(np.random.randn(16, 3, 16, 16).astype(np.float32))
    y = ms.Tensor(np.random.randint(0, 10, (16,)).astype(np.int32))
    return x, y


@pytest.mark.parametrize("rep", PAIRS)
def test_train_one_step_cell(rep):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    losses = train({steps}, 0.01)
    assert all(np.isfinite(losses))


@pytest.mark.parametrize("rep", PAIRS)
def test_value_and_grad_loop(rep):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = SmallCNN()
    net.set_train()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    optimizer = nn.Momentum(net.trainable_params(), 0.01, 0.9)

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, optimizer.parameters)
    x, y = data()
    for _ in range({steps}):
        loss, grads = grad_fn(x, y)
        optimizer(grads)
    assert np.isfinite(loss.asnumpy())
'''


def in_process(root: Path) -> None:
    times: dict = {}
    for name, seconds in junit_times(["--ms-check=context_leak=off", "test_loop.py"], root).items():
        test, side = name.split("[")[0], name.split("[")[1].split("-")[0]  # test_train_one_step_cell[on-3]
        times.setdefault((test, side), []).append(seconds)
    for test in sorted({t for t, _ in times}):
        on, off = statistics.median(times[(test, "on")]), statistics.median(times[(test, "off")])
        print(f"  {test:<28} checks on {on:6.3f} s   off {off:6.3f} s   ratio {on / off:.3f}")


def main() -> None:
    runs = runs_from_command_line(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_loop.py").write_text(SUITE.format(runs=runs, steps=STEPS))
        print(f"1. {STEPS}-step PyNative loops, checks on and off alternating in one process, {runs} pairs (median)")
        in_process(root)
        print(f"2. the same suite, plugin on against plugin off, {runs} alternating runs each (time in tests)")
        compare("plugin off", ["-p", "no:msgraph", "test_loop.py"],
                "both checks on", ["test_loop.py", "--ms-check=context_leak=off"], root, runs)


if __name__ == "__main__":
    main()
