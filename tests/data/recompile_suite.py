import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Scale(nn.Cell):
    def construct(self, x, lr):
        return x * lr


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(4, 2)

    def construct(self, x):
        return self.dense(x)


def x(n=2):
    return Tensor(np.ones((n, 4), np.float32))


@pytest.mark.both_modes
def test_python_float_lr():
    net = Scale()
    for step in range(4):
        net(x(), 0.1 * (step + 1))


@pytest.mark.both_modes
def test_tensor_lr():
    net = Scale()
    for step in range(4):
        net(x(), Tensor(0.1 * (step + 1), ms.float32))


@pytest.mark.both_modes
def test_mutable_lr():
    net = Scale()
    for step in range(4):
        net(x(), ms.mutable(0.1 * (step + 1)))


@pytest.mark.both_modes
def test_new_shapes():
    net = Net()
    for n in (1, 2, 3, 4):
        net(x(n))


@pytest.mark.both_modes
def test_set_inputs():
    net = Net()
    net.set_inputs(Tensor(shape=[None, 4], dtype=ms.float32))
    for n in (1, 2, 3, 4):
        net(x(n))


@pytest.mark.both_modes
def test_new_cell_per_step():
    for _ in range(4):
        Net()(x())


@pytest.mark.both_modes
def test_grad_in_loop():
    net = Net()
    for _ in range(4):
        ms.grad(net)(x())


@pytest.mark.both_modes
def test_grad_built_once():
    net = Net()
    grad = ms.grad(net)
    for _ in range(4):
        grad(x())


@pytest.mark.both_modes
def test_two_shapes():
    net = Net()
    net(x(1))
    net(x(2))


@pytest.mark.both_modes
def test_train_one_step():
    net = Net()
    loss = nn.MSELoss()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    for _ in range(4):
        step(x(), Tensor(np.zeros((2, 2), np.float32)))


@pytest.mark.both_modes
def test_built_differently():
    for width in (2, 3, 5):
        nn.Dense(4, width)(x())


@ms.jit
def jitted(a, k):
    return a * k


@pytest.mark.both_modes
def test_jit_int_arg():
    for k in range(4):
        jitted(x(), k)


@pytest.mark.both_modes
@pytest.mark.ms_max_compiles(1)
def test_max_compiles():
    net = Scale()
    for step in range(3):
        net(x(), 0.5 * step)


@pytest.mark.both_modes
def test_three_lambdas():
    """Three functions that share the qualname <lambda>: three graphs, none compiled again."""
    ms.jit(lambda a: a + 1)(x())
    ms.jit(lambda a: a * 2)(x())
    ms.jit(lambda a: a - 3)(x())


def scaler(k):
    @ms.jit
    def scale(a):
        return a * k
    return scale


@pytest.mark.both_modes
def test_jit_closure_per_step():
    for k in range(4):
        scaler(float(k))(x())


@ms.jit
def doubled(a):
    return a * 2


@pytest.mark.both_modes
def test_dtypes_change():
    for dtype in (np.float32, np.float16, np.float64):
        doubled(Tensor(np.ones((2, 4), dtype)))


@ms.jit
def total(*tensors):
    out = tensors[0]
    for t in tensors[1:]:
        out = out + t
    return out


@pytest.mark.both_modes
def test_argument_count_changes():
    total(x())
    total(x(), x())
    total(x(), x(), x())
