"""Issue 39's cases: each mode difference with its known truth (see tests/test_evidence.py), and look-alikes."""
import sys

import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Mid(nn.Cell):
    def __init__(self, width=4):
        super().__init__()
        self.dense = nn.Dense(width, 4)
        self.on = False

    def construct(self, x):
        y = self.dense(x)
        if self.on:  # the fine-tune switch: sqrt at 0 has an infinite derivative
            y = ops.sqrt(ops.square(y) * ops.zeros_like(y))
        return y


class HeadFirst(nn.Cell):
    """Declared head first, called stem -> mid -> head: declaration order is not call order."""

    def __init__(self):
        super().__init__()
        self.head = nn.Dense(4, 2)
        self.stem = nn.Dense(4, 4)
        self.mid = Mid()

    def construct(self, x):
        return self.head(self.mid(self.stem(x)))


def train_with_switch(flip):
    ms.set_seed(0)
    net = HeadFirst()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.01))
    x, y = Tensor(np.ones((2, 4), np.float32)), Tensor(np.zeros((2, 2), np.float32))
    step(x, y)
    net.mid.on = flip
    step(x, y)
    return net


class NoisyLoss(nn.Cell):
    """A harmless eager write into its label, and numpy noise (frozen in GRAPH_MODE)."""

    def __init__(self, noisy=True, copy=False):
        super().__init__()
        self.noisy = noisy
        self.copy = copy

    def construct(self, logits, label):
        target = ops.cast(label, ms.int32)
        if self.copy:
            target = target.copy()
        target[0] = 0
        if self.noisy:
            logits = logits + Tensor(np.random.randn(*logits.shape).astype(np.float32))
        return (logits * target.astype(ms.float32)).sum()


def noisy_loss(noisy, copy=False):
    np.random.seed(0)
    loss = NoisyLoss(noisy, copy)
    logits, label = Tensor(np.ones((3, 2), np.float32)), Tensor(np.ones((3, 2), np.int32))
    return [float(loss(logits, label).asnumpy()) for _ in range(2)]


class Jitter(nn.Cell):
    def construct(self, x):
        return x + Tensor(np.random.randn(*x.shape).astype(np.float32))


class Block(nn.Cell):
    def __init__(self, noisy):
        super().__init__()
        self.dense = nn.Dense(4, 4)
        self.jitter = Jitter() if noisy else nn.Identity()

    def construct(self, x):
        return self.jitter(self.dense(x))


class Stack(nn.Cell):
    def __init__(self, noisy):
        super().__init__()
        self.blocks = nn.CellList([Block(False), Block(noisy)])

    def construct(self, x):
        for block in self.blocks:
            x = block(x)
        return x


class Looped(nn.Cell):
    """The jitter is reached only through CellList members called from their parents' loops."""

    def __init__(self, noisy):
        super().__init__()
        self.body = nn.CellList([Stack(noisy)])
        self.head = nn.Dense(4, 2)

    def construct(self, x):
        for stack in self.body:
            x = stack(x)
        return self.head(x)


class Scale(nn.Cell):
    def construct(self, x, scale=1.0):
        return x * scale


class Keyword(nn.Cell):
    """'pre' is called with a keyword: replayed without it, it would differ and be blamed."""

    def __init__(self, noisy):
        super().__init__()
        self.pre = Scale()
        self.jitter = Jitter() if noisy else nn.Identity()

    def construct(self, x):
        return self.jitter(self.pre(x, scale=2.0))


class Gate(nn.Cell):
    def __init__(self):
        super().__init__()
        self.boost = False

    def construct(self, x):
        return x * 2 if self.boost else x


class GateHolder(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(4, 4)
        self.gate = Gate()

    def construct(self, x):
        return self.gate(self.dense(x))


class DeepFlag(nn.Cell):
    def __init__(self):
        super().__init__()
        self.body = nn.CellList([nn.Dense(4, 4), GateHolder()])
        self.head = nn.Dense(4, 2)

    def construct(self, x):
        for layer in self.body:
            x = layer(x)
        return self.head(x)


class Branches(nn.Cell):
    def __init__(self, cast_both):
        super().__init__()
        self.cast_both = cast_both

    def construct(self, x):
        if x.sum() > 0:
            y = x.astype(ms.int32)
        else:
            y = x.astype(ms.int32) if self.cast_both else x
        return y


class DroppedNoise(nn.Cell):
    """A Dropout in training (MindSpore's random op) beside a numpy draw (or none, the look-alike)."""

    def __init__(self, noisy, dropout=True, fallback=False):
        super().__init__()
        self.dense = nn.Dense(8, 4)
        self.drop = nn.Dropout(p=0.5) if dropout else nn.Identity()
        self.noisy = noisy
        self.fallback = fallback

    def construct(self, x):
        y = self.drop(self.dense(x))
        if self.fallback:  # a leftover debug line, unused, but a Python fallback: MindIR cannot export the graph
            total = Tensor(np.sum(x.asnumpy()))  # noqa: F841
        if self.noisy:
            y = y * Tensor(np.random.randn(4, 4).astype(np.float32))
        return y.sum()


def dropped_noise_grads(noisy, dropout=True, fallback=False):
    """Two grad calls of a net in training: the numpy draw is made at each call eagerly, once at compile time."""
    np.random.seed(0)
    ms.set_seed(0)
    net = DroppedNoise(noisy, dropout, fallback)
    net.set_train()
    grad_fn = ms.grad(net, None, net.trainable_params())
    x = Tensor(np.ones((4, 8), np.float32))
    return [grad_fn(x)[0].asnumpy() for _ in range(2)]


def twice(net):
    for _ in range(2):  # the first call draws what the graph froze at compile time: the second one differs
        net(Tensor(np.ones((2, 4), np.float32)))


@pytest.mark.both_modes
@pytest.mark.parametrize("flip", [True, False], ids=["switched", "lookalike"])
def test_switch(flip):
    train_with_switch(flip)


@pytest.mark.both_modes
@pytest.mark.parametrize("noisy", [True, False], ids=["noise", "lookalike"])
def test_write_and_noise(noisy):
    noisy_loss(noisy, copy=not noisy)


@pytest.mark.both_modes
@pytest.mark.parametrize("noisy", [True, False], ids=["noise", "lookalike"])
def test_cell_list(noisy):
    twice(Looped(noisy))


@pytest.mark.both_modes
@pytest.mark.parametrize("noisy", [True, False], ids=["noise", "lookalike"])
def test_keyword(noisy):
    twice(Keyword(noisy))


@pytest.mark.both_modes
@pytest.mark.parametrize("noisy", [True, False], ids=["noise", "lookalike"])
def test_dropout_grad(noisy):
    dropped_noise_grads(noisy)


@pytest.mark.both_modes
@pytest.mark.parametrize("noisy", [True, False], ids=["noise", "lookalike"])
def test_unread_dropout_grad(noisy):
    dropped_noise_grads(noisy, fallback=True)


@pytest.mark.both_modes
def test_deep_flag():
    net, x = DeepFlag(), Tensor(np.ones((2, 4), np.float32))
    net(x)
    net.body[1].gate.boost = True
    net(x)


@pytest.mark.both_modes
@pytest.mark.parametrize("cast_both", [False, True], ids=["join", "lookalike"])
def test_branches(cast_both):
    Branches(cast_both)(Tensor(np.ones((2,), np.float32)))


if __name__ == "__main__":  # the truth without the plugin: python evidence_suite.py MODE CASE
    ms.set_context(mode=getattr(ms, sys.argv[1]))
    if sys.argv[2] == "switch":
        net = train_with_switch(True)
        print({name: int((~np.isfinite(p.asnumpy())).sum()) for name, p in net.parameters_and_names()})
    elif sys.argv[2] == "dropout":  # without the Dropout: does the second grad call draw anew?
        first, second = dropped_noise_grads(True, dropout=False)
        print([int(np.array_equal(first, second))])
    elif sys.argv[2] == "unread":  # a Dropout beside a fallback: the two grads, with the numpy draw and without
        print([[float(g.ravel() @ np.arange(32)) for g in dropped_noise_grads(noisy, fallback=True)]
               for noisy in (True, False)])
    else:
        print([noisy_loss(True), noisy_loss(True, copy=True), noisy_loss(False)])
