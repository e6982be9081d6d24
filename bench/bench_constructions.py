"""What --ms-repro's recording of constructor arguments costs when on: building mindcv's resnet18
(about 70 cells) with ``Cell.__new__`` wrapped, against MindSpore's own, alternated in one process.

Without --ms-repro nothing is wrapped (tests/test_cost_when_off.py), so that side costs nothing.

Usage: python bench/bench_constructions.py [--runs 7]
"""
from __future__ import annotations

import statistics
import time

from bench_both_modes import runs_from_command_line


def main() -> None:
    runs = runs_from_command_line(__doc__, default=7)
    import mindcv
    from mindspore import nn

    from pytest_msgraph.mindspore_side.constructions import Constructions

    constructions = Constructions(nn.Cell)
    mindcv.create_model("resnet18", num_classes=10)  # imports and first-build costs out of the way
    times: dict[str, list[float]] = {"off": [], "on": []}
    for round_ in range(runs):
        for side in ("off", "on") if round_ % 2 else ("on", "off"):  # each side first in half the rounds
            if side == "on":
                constructions.record()
            start = time.perf_counter()
            net = mindcv.create_model("resnet18", num_classes=10)
            times[side].append(time.perf_counter() - start)
            constructions.stop()
    cells = len(list(net.cells_and_names()))
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    print(f"mindcv resnet18 built ({cells} cells), median of {runs} alternated builds: "
          f"{off * 1000:.1f} ms as MindSpore builds it, {on * 1000:.1f} ms recording constructions "
          f"(ratio {on / off:.3f}; its initialisers' draws dominate)")
    # The wrapper alone: the smallest cell, many times.
    small: dict[str, list[float]] = {"off": [], "on": []}
    for round_ in range(runs):
        for side in ("off", "on") if round_ % 2 else ("on", "off"):
            if side == "on":
                constructions.record()
            start = time.perf_counter()
            for _ in range(2000):
                nn.ReLU()
            small[side].append((time.perf_counter() - start) / 2000)
            constructions.stop()
    off, on = statistics.median(small["off"]), statistics.median(small["on"])
    print(f"nn.ReLU() built 2000 times, median of {runs}: {off * 1e6:.1f} us, recording {on * 1e6:.1f} us "
          f"({(on - off) * 1e6:+.2f} us per cell)")


if __name__ == "__main__":
    main()
