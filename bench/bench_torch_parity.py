"""Time the torch_parity fixture against the hand-written copy-and-compare it replaces.

In one process, alternating (which side goes first alternates too), on the small CNN
of examples/test_torch_parity.py in PYNATIVE_MODE, 20 checks per side:

- by hand: copy the weights by name (with the BatchNorm renames written out), run
  both, np.max(np.abs(diff)), as the seed guide's unit test does;
- the fixture: ``TorchParity.check`` (weights mapped and copied, every output
  compared with dtype tolerances; localisation runs only on a mismatch, so not here).

Usage: python bench/bench_torch_parity.py [--runs 5]
"""
from __future__ import annotations

import contextlib
import statistics
import time

import numpy as np
from bench_both_modes import runs_from_command_line

CHECKS = 20


def main() -> None:
    runs = runs_from_command_line(__doc__)
    import mindspore as ms
    import torch
    from mindspore import nn

    from pytest_msgraph.porting.torch_parity import TorchParity

    ms.set_context(mode=ms.PYNATIVE_MODE)

    class SmallCNN(nn.Cell):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, pad_mode="pad", padding=1, has_bias=True)
            self.bn = nn.BatchNorm2d(8)
            self.fc = nn.Dense(8 * 8 * 8, 10)

        def construct(self, x):
            return self.fc(self.bn(self.conv(x)).reshape(x.shape[0], -1))

    class SmallCNNPt(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(8)
            self.fc = torch.nn.Linear(8 * 8 * 8, 10)

        def forward(self, x):
            return self.fc(self.bn(self.conv(x)).flatten(1))

    x = np.random.randn(4, 3, 8, 8).astype(np.float32)
    renames = {"bn.weight": "bn.gamma", "bn.bias": "bn.beta", "bn.running_mean": "bn.moving_mean",
               "bn.running_var": "bn.moving_variance"}
    nets = [(SmallCNN(), SmallCNNPt()) for _ in range(CHECKS)]
    for ms_net, pt_net in nets:
        ms_net.set_train(False)
        pt_net.eval()

    def by_hand() -> float:
        start = time.perf_counter()
        for ms_net, pt_net in nets:
            params = dict(ms_net.parameters_and_names())
            for name, tensor in pt_net.state_dict().items():
                if not name.endswith("num_batches_tracked"):
                    params[renames.get(name, name)].set_data(ms.Tensor(tensor.numpy()))
            y_ms = ms_net(ms.Tensor(x))
            with torch.no_grad():
                y_pt = pt_net(torch.from_numpy(x))
            assert np.max(np.abs(y_ms.asnumpy() - y_pt.numpy())) < 1e-4
        return time.perf_counter() - start

    parity = TorchParity(None, (None, None), contextlib.nullcontext, contextlib.nullcontext)

    def fixture() -> float:
        start = time.perf_counter()
        for ms_net, pt_net in nets:
            assert parity.check(ms_net, pt_net, x).ok
        return time.perf_counter() - start

    by_hand(), fixture()  # warm-up
    hand, fix = [], []
    for i in range(runs):
        for side in ((by_hand, fixture) if i % 2 == 0 else (fixture, by_hand)):
            (hand if side is by_hand else fix).append(side())
    med_hand, med_fix = statistics.median(hand), statistics.median(fix)
    print(f"{CHECKS} checks: by hand {med_hand:.3f} s, fixture {med_fix:.3f} s (median of {runs}); "
          f"ratio {med_fix / med_hand:.3f}")


if __name__ == "__main__":
    main()
