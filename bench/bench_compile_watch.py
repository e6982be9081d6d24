"""Time compile watching: what the compile probe adds to the compiles it watches.

In one process, alternating, and alternating which side goes first (so drift in machine
load and warm-up hit both sides alike):

1. New graphs: a small Dense net in GRAPH_MODE called with 12 new batch sizes, a new
   net each round, watched (a compile log listening) against unwatched (MindSpore's
   own compile functions put back). The probe times each new graph and records its
   argument signature and group.
2. Cache hits: 2000 calls of one compiled net, watched against unwatched; each call
   goes through _CellGraphExecutor.compile and finds its graph.

3. Directly: the probe's own work for one new graph, against one compile.

Usage: python bench/bench_compile_watch.py [--runs 5]
"""
from __future__ import annotations

import statistics
import time

import numpy as np
from bench_both_modes import runs_from_command_line

SHAPES = range(1, 13)
HITS = 2000


def main() -> None:
    runs = runs_from_command_line(__doc__)
    import mindspore as ms
    from mindspore import nn

    from pytest_msgraph.mindspore_side.probes.compiles import CompileProbe

    ms.set_context(mode=ms.GRAPH_MODE, runtime_num_threads=1)
    probe = CompileProbe(ms)
    api = probe._api
    originals = (api._CellGraphExecutor.compile, api._JitExecutor.compile)

    def watched(on: bool):
        if on:
            probe._installed = False
            return probe.start()
        api._CellGraphExecutor.compile, api._JitExecutor.compile = originals
        probe._installed = False
        return None

    def new_graphs(on: bool) -> float:
        log = watched(on)
        net = nn.Dense(4, 2)
        start = time.perf_counter()
        for n in SHAPES:
            net(ms.Tensor(np.ones((n, 4), np.float32)))
        seconds = time.perf_counter() - start
        if log is not None:
            assert len(log.events) == len(SHAPES)
            probe.stop(log)
        return seconds

    def cache_hits(on: bool) -> float:
        log = watched(on)
        net, x = nn.Dense(4, 2), ms.Tensor(np.ones((2, 4), np.float32))
        net(x)
        start = time.perf_counter()
        for _ in range(HITS):
            net(x)
        seconds = time.perf_counter() - start
        if log is not None:
            probe.stop(log)
        return seconds

    # The direct measure: the probe's own work for one new graph (signature, group, location),
    # against the compile it follows. Whole-loop timings move by several percent run to run.
    log = probe.start()
    net, x = nn.Dense(4, 2), ms.Tensor(np.ones((2, 4), np.float32))
    start = time.perf_counter()
    for _ in range(500):
        probe._record("cell", net, None, (x,), 0.0)
    own = (time.perf_counter() - start) / 500
    probe.stop(log)
    per_compile = new_graphs(False) / len(SHAPES)
    print(f"the probe's own work per new graph: {own * 1e6:.0f} us, against {per_compile * 1e3:.0f} ms per compile "
          f"({own / per_compile:.2%})")

    for name, measure, per in (("new graphs", new_graphs, len(SHAPES)), ("cache hits", cache_hits, HITS)):
        measure(False), measure(True)  # warm-up
        off, on = [], []
        for i in range(runs):  # which side goes first alternates too: the second of a pair runs warmer
            for on_side in ((False, True) if i % 2 == 0 else (True, False)):
                (on if on_side else off).append(measure(on_side))
        med_off, med_on = statistics.median(off), statistics.median(on)
        print(f"{name}: unwatched {med_off:.3f} s, watched {med_on:.3f} s (median of {runs}); "
              f"{(med_on - med_off) / per * 1e6:+.1f} us per call, ratio {med_on / med_off:.4f}")


if __name__ == "__main__":
    main()
