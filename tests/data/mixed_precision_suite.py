import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


class Network(nn.Cell):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.SequentialCell([nn.Conv2d(3, 12, kernel_size=3, pad_mode='pad', padding=1),
                                         nn.BatchNorm2d(12), nn.ReLU(), nn.MaxPool2d(kernel_size=2, stride=2)])
        self.fc = nn.Dense(12 * 4 * 4, 10)

    def construct(self, x):
        x = self.layer1(x)
        return self.fc(x.reshape(x.shape[0], -1))


def data():
    return ms.Tensor(np.random.randn(4, 3, 8, 8).astype(np.float32)), ms.Tensor(np.array([1, 2, 3, 4], np.int32))


def step_for(net, loss):
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))


@pytest.mark.both_modes
def test_wrong_recipe():
    net = Network()
    net.to_float(ms.float16)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
    step = step_for(net, loss)
    step.set_train()
    step(*data())


@pytest.mark.both_modes
def test_seed_recipe():
    net = Network()
    net.to_float(ms.float16)
    for _, cell in net.cells_and_names():
        if isinstance(cell, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            cell.to_float(ms.float32)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean').to_float(ms.float32)
    step = step_for(net, loss)
    step.set_train()
    step(*data())


@pytest.mark.both_modes
def test_float32():
    step = step_for(Network(), nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean'))
    step.set_train()
    step(*data())


@pytest.mark.both_modes
def test_value_and_grad_fp16():
    net = Network()
    net.to_float(ms.float16)
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, net.trainable_params())
    grad_fn(*data())


def test_o2_custom():
    net = Network()
    net.to_float(ms.float16)
    for _, cell in net.cells_and_names():
        if isinstance(cell, nn.BatchNorm2d):
            cell.to_float(ms.float32)
    ms.train.Model(net, loss_fn=nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean'),
                   optimizer=nn.Momentum(net.trainable_params(), 0.1, 0.9), amp_level="O2", loss_scale_manager=None)


def test_o2_clean():
    net = Network()
    m = ms.train.Model(net, loss_fn=nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean'),
                   optimizer=nn.Momentum(net.trainable_params(), 0.1, 0.9), amp_level="O2", loss_scale_manager=None)
    m._train_network(*data())
