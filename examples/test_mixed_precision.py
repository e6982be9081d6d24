"""The seed guide's manual mixed precision ("手动混合精度"), the wrong way and its own recipe.

``net.to_float(ms.float16)`` flags every sub-cell. The guide keeps BatchNorm and the loss in
float32 (a float16 loss overflows easily) and warns that custom ``to_float`` conflicts with
``Model``'s ``amp_level``. The ``mixed_precision`` check (policy warn) says so at run time;
here its warnings are turned into errors so that the wrong ways are strict xfails.
"""
import mindspore as ms
import numpy as np
import pytest
from mindspore import nn

AS_ERRORS = pytest.mark.filterwarnings("error::pytest_msgraph.MsGraphWarning")


class Network(nn.Cell):
    """The guide's network, with its ``out = nn.Dense(x)`` line written as intended (self.fc)."""

    def __init__(self):
        super().__init__()
        self.layer1 = nn.SequentialCell([
            nn.Conv2d(3, 12, kernel_size=3, pad_mode='pad', padding=1),
            nn.BatchNorm2d(12),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2)
        ])
        self.layer2 = nn.SequentialCell([
            nn.Conv2d(12, 4, kernel_size=3, pad_mode='pad', padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2)
        ])
        self.pool = nn.AdaptiveMaxPool2d((5, 5))
        self.fc = nn.Dense(100, 10)

    def construct(self, x):
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.pool(x)
        x = x.view((-1, 100))
        return self.fc(x)


def train_one_step(net, loss):
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    step.set_train()
    x = ms.Tensor(np.random.randn(2, 3, 20, 20).astype(np.float32))
    y = ms.Tensor(np.array([1, 3], np.int32))
    return step(x, y)


@pytest.mark.both_modes
@AS_ERRORS
@pytest.mark.xfail(strict=True, reason="BatchNorm and the loss inherit float16 from net.to_float(ms.float16)")
def test_everything_in_float16():
    net = Network()
    net.to_float(ms.float16)
    train_one_step(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean'))


@pytest.mark.both_modes
@AS_ERRORS
def test_the_guides_recipe_batchnorm_and_loss_in_float32():
    net = Network()
    net.to_float(ms.float16)
    for _, cell in net.cells_and_names():
        if isinstance(cell, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            cell.to_float(ms.float32)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean').to_float(ms.float32)
    assert train_one_step(net, loss).dtype == ms.float32


@AS_ERRORS
@pytest.mark.xfail(strict=True, reason="custom to_float and Model's amp_level conflict: O2 rewrites the flags")
def test_custom_to_float_with_model_amp_level():
    net = Network()
    net.to_float(ms.float16)
    ms.train.Model(net, loss_fn=nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean'),
                   optimizer=nn.Momentum(net.trainable_params(), 0.01, 0.9), amp_level="O2", loss_scale_manager=None)


@AS_ERRORS
def test_amp_level_alone():
    net = Network()
    ms.train.Model(net, loss_fn=nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean'),
                   optimizer=nn.Momentum(net.trainable_params(), 0.01, 0.9), amp_level="O2", loss_scale_manager=None)
