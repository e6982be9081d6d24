"""Time the dynamic_shape check's graph inspection against the compile it follows.

For a small CNN with BatchNorm and for the seed guide's BoxSelect (masked_select),
compiled in GRAPH_MODE: the compile and first call, one uncached inspection of the
compiled graph (fetch MindIR, find the ops that start a dynamic shape, find their
source lines), and the cached lookup every later call of the same graph costs.

Usage: python bench/bench_dynamic_shape.py [--runs 20]
"""
from __future__ import annotations

import argparse
import statistics
import time

import mindspore as ms
import numpy as np
from mindspore import nn, ops

from pytest_msgraph.mindspore_side import graph_inspection


class SmallCNN(nn.Cell):
    def __init__(self):
        super().__init__()
        self.features = nn.SequentialCell([nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2, 2)])
        self.head = nn.SequentialCell([nn.Flatten(), nn.Dense(8 * 8 * 8, 10)])

    def construct(self, x):
        return self.head(self.features(x))


class BoxSelect(nn.Cell):
    def construct(self, box, iou_score):
        return ops.masked_select(box, (iou_score > 0.3).expand_dims(1))


def inspect(cell) -> list:
    """What dynamic_shape does for a new compiled graph (source lines only when it found something)."""
    roots = list(graph_inspection.analyse(graph_inspection.compiled_graph(cell)).roots)
    if roots:
        graph_inspection.source_lines(cell, roots)
    return roots


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    ms.set_context(mode=ms.GRAPH_MODE)
    cases = {
        "SmallCNN": (SmallCNN, (ms.Tensor(np.ones((4, 3, 16, 16), np.float32)),)),
        "BoxSelect": (BoxSelect, (ms.Tensor(np.random.rand(6, 4).astype(np.float32)),
                                  ms.Tensor(np.random.rand(6).astype(np.float32)))),
    }
    cache: dict = {}
    for name, (cls, args) in cases.items():
        compile_ms = median_ms(lambda cls=cls, args=args: cls()(*args), max(3, runs // 5))
        cell = cls()
        cell(*args)
        roots = inspect(cell)
        inspect_ms = median_ms(lambda cell=cell: inspect(cell), runs)
        key = (id(cell), cell.create_time, cell.phase)
        cache[key] = roots
        cached_ms = median_ms(lambda cell=cell: cache.get((id(cell), cell.create_time, cell.phase)), runs)
        print(f"{name:<10} compile + first call {compile_ms:8.2f} ms   inspection {inspect_ms:6.3f} ms "
              f"({inspect_ms / compile_ms:.1%} of the compile)   cached {cached_ms * 1e3:6.2f} us   found {roots}")


if __name__ == "__main__":
    main()
