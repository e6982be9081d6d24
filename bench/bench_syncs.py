"""What a PyNative training step pays for a read, against an op, between its steps.

The plugin must record values without stalling MindSpore's PyNative pipeline (issue 40).
Two ways to keep a value that changes at the next step (the trained parameters) or that a
check compares before and after a call (its inputs): read it now (``asnumpy``: waits for
every queued op), or copy it now with an op (``p + 0``, ``Tensor.copy``) and read later.
This script times a small CNN trained ``value_and_grad`` + ``opt(grads)`` style, eagerly,
one process, with nothing extra per step, then with each of: one op (``x + 0`` on the
batch, dropped), one copy of a parameter kept, copies of every trained parameter kept, a
read of one gradient, a read of every gradient's dtype (an attribute read waits for the
tensor's op to be dispatched), a read of every gradient and parameter and their names
(what the plugin did before issue 40). Cases alternate, three rounds; the figure is the
median milliseconds per step. Then the plugin's watch on reads and in-place writes
(probes/deferred_reads), installed against not: microseconds per read and per write.

Usage: python bench/bench_syncs.py [--steps 150] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import time
from typing import Any, Callable


def build(ms: Any) -> tuple:
    nn = ms.nn
    import numpy as np
    from bench_both_modes import SMALL_CNN

    namespace: dict = {}
    exec(compile(SMALL_CNN, "tests/data/small_cnn.py", "exec"), namespace)  # the network bench_cost trains
    SmallCNN = namespace["SmallCNN"]

    net = SmallCNN()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), 0.01, 0.9)

    def forward(x: Any, y: Any) -> Any:
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)
    net.set_train()
    x = ms.Tensor(np.random.randn(16, 3, 16, 16).astype(np.float32))
    y = ms.Tensor(np.random.randint(0, 10, (16,)).astype(np.int32))
    return grad_fn, opt, x, y


def cases(ms: Any, params: list, x: Any, kept: list) -> dict[str, Callable[[Any], None]]:
    def nothing(grads: Any) -> None:
        pass

    def one_op(grads: Any) -> None:
        x + 0  # noqa: B018  (enqueued, its result dropped)

    def one_copy(grads: Any) -> None:
        kept.append(ms.Tensor.copy(params[0]))

    def copies(grads: Any) -> None:
        kept.append([p + 0 for p in params])

    def one_read(grads: Any) -> None:
        grads[-1].asnumpy()

    def attributes(grads: Any) -> None:
        [g.dtype for g in grads]  # noqa: B018  (waits for each gradient's op to be dispatched)

    def reads(grads: Any) -> None:
        [p.name for p in params]  # noqa: B018  (a name read waits too)
        [g.asnumpy() for g in grads]  # noqa: B018
        [p.asnumpy() for p in params]  # noqa: B018

    return {"nothing extra": nothing, "one op (x + 0, dropped)": one_op, "one copy of a parameter, kept": one_copy,
            "every parameter copied (p + 0), kept": copies, "one read (a gradient)": one_read,
            "every gradient's dtype read": attributes,
            "every gradient, parameter and name read": reads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    import mindspore as ms

    ms.set_context(mode=ms.PYNATIVE_MODE)
    grad_fn, opt, x, y = build(ms)
    kept: list = []
    extras = cases(ms, list(opt.parameters), x, kept)
    times: dict[str, list[float]] = {name: [] for name in extras}
    for _ in range(options.rounds):
        for name, extra in extras.items():
            kept.clear()
            loss, grads = grad_fn(x, y)
            opt(grads)
            loss.asnumpy()
            start = time.perf_counter()
            for _ in range(options.steps):
                loss, grads = grad_fn(x, y)
                opt(grads)
                extra(grads)
                if len(kept) > 50:  # bound what is kept, as the plugin's cap would
                    kept.clear()
            loss.asnumpy()
            times[name].append((time.perf_counter() - start) / options.steps * 1e3)
    base = statistics.median(times["nothing extra"])
    print(f"{options.steps} eager value_and_grad + opt(grads) steps of a small CNN, median of {options.rounds} rounds")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<42} {median:6.2f} ms per step ({median - base:+.2f})")
    watch_cost(ms)


def watch_cost(ms: Any, calls: int = 20000) -> None:
    """Microseconds per ``asnumpy`` and per ``t[0] = 1`` on a small idle tensor, without and with the watch."""
    import numpy as np

    from pytest_msgraph.mindspore_side.probes.deferred_reads import DeferredReads

    t = ms.Tensor(np.zeros(4, np.float32))

    def per_call(action: Callable[[], None]) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            action()
        return (time.perf_counter() - start) / calls * 1e6

    def write() -> None:
        t[0] = 1.0

    bare = per_call(t.asnumpy), per_call(write)
    reads = DeferredReads(ms.Tensor, "")
    reads.later(None, lambda: None)  # installs the watch, for the rest of the process
    reads.flush()
    watched = per_call(t.asnumpy), per_call(write)
    print(f"the watch on reads and writes, {calls} calls each on an idle 4-element tensor")
    print(f"  asnumpy: {bare[0]:.2f} us bare, {watched[0]:.2f} us watched ({watched[0] - bare[0]:+.2f})")
    print(f"  t[0] = 1: {bare[1]:.2f} us bare, {watched[1]:.2f} us watched ({watched[1] - bare[1]:+.2f})")


if __name__ == "__main__":
    main()
