"""Time mode_parity on large outputs: a 4000x4000 float32 result per call.

Outputs over the per-test byte cap (--ms-parity-max-bytes, 1 MiB) are compared by
summary statistics. This measures what those cost:

1. The summary alone, in this process: ``parity.arithmetic.summarize`` on one
   4000x4000 float32 array (median of 9).
2. Whole runs: a both_modes test making 10 such calls per variant, with mode_parity
   on against ``--ms-check mode_parity=off``, alternating (time in tests, JUnit XML).

Usage: python bench/bench_parity_large_outputs.py [--runs 5]
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_both_modes import compare, junit_times, runs_from_command_line

CALLS = 10

SUITE = f'''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


class Scale(nn.Cell):
    def construct(self, x):
        return x * 2


@pytest.mark.both_modes
def test_large_outputs():
    net, x = Scale(), ms.Tensor(np.random.rand(4000, 4000).astype(np.float32))
    for _ in range({CALLS}):
        net(x)
'''


def summary_ms() -> float:
    from pytest_msgraph.checks.builtin.parity.arithmetic import summarize

    array = np.random.rand(4000, 4000).astype(np.float32)
    summarize(array)
    times = []
    for _ in range(9):
        start = time.perf_counter()
        summarize(array)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def in_tests(args: list, cwd: Path) -> float:
    return sum(junit_times(args, cwd).values())


def main() -> None:
    runs = runs_from_command_line(__doc__)
    print(f"summary of one 4000x4000 float32 output: {summary_ms():.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_large.py").write_text(SUITE)
        print(f"both_modes test, {CALLS} calls per variant, time in tests:")
        compare("mode_parity off", ["--ms-check", "mode_parity=off"], "mode_parity on", [], root, runs, clock=in_tests)


if __name__ == "__main__":
    main()
