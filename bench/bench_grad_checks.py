"""Time the double_forward and bn_update_count checks on a PyNative training loop.

A small CNN with BatchNorm trained 60 steps per test with nn.TrainOneStepCell, and
60 steps with ms.value_and_grad plus an optimizer, in PYNATIVE_MODE: both checks
on (the plugin's defaults) against the plugin off. Runs alternate; medians compared.

Usage: python bench/bench_grad_checks.py [--runs 5]
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench_both_modes import NETWORK, compare

STEPS = 60

SUITE = NETWORK + '''

def data():
    x = ms.Tensor(np.random.randn(16, 3, 16, 16).astype(np.float32))
    y = ms.Tensor(np.random.randint(0, 10, (16,)).astype(np.int32))
    return x, y


def test_train_one_step_cell():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    losses = train({steps}, 0.01)
    assert all(np.isfinite(losses))


def test_value_and_grad_loop():
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
'''.format(steps=STEPS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_loop.py").write_text(SUITE)
        print(f"PyNative training loops, {STEPS} steps x 2 tests, {runs} alternating runs each")
        compare("plugin off", ["-p", "no:msgraph", "test_loop.py"],
                "both checks on", ["test_loop.py", "--ms-check=context_leak=off"], root, runs)


if __name__ == "__main__":
    main()
