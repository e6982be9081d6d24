"""The seed guide's Network ([4]/[5]): Conv + BatchNorm blocks, trained a few steps in both modes.

The guide's construct ends with ``out = nn.Dense(x)``, which builds a new layer
instead of calling ``self.fc``: fixed here.
"""
import mindspore as ms
import numpy as np
import pytest
from mindspore import nn


class Network(nn.Cell):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.SequentialCell([
            nn.Conv2d(3, 12, kernel_size=3, pad_mode='pad', padding=1),
            nn.BatchNorm2d(12),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        ])
        self.layer2 = nn.SequentialCell([
            nn.Conv2d(12, 4, kernel_size=3, pad_mode='pad', padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
        ])
        self.pool = nn.AdaptiveMaxPool2d((5, 5))
        self.fc = nn.Dense(100, 10)

    def construct(self, x):
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.pool(x)
        x = x.view((-1, 100))
        return self.fc(x)


@pytest.fixture
def train_step():
    net = Network()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction='mean')
    optimizer = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), optimizer)
    step.set_train()
    return step


@pytest.mark.both_modes
def test_loss_decreases_on_a_fixed_batch(train_step):
    x = ms.Tensor(np.random.randn(8, 3, 20, 20).astype(np.float32))
    y = ms.Tensor(np.random.randint(0, 10, (8,)).astype(np.int32))
    losses = [float(train_step(x, y).asnumpy()) for _ in range(5)]
    assert losses[-1] < losses[0]


def test_mindspore_style_mode_switch_leaks_context():
    """MindSpore's own suite sets the mode inside the test and never restores it.

    pytest-msgraph restores the context after the test and reports the leak
    (check context_leak, policy warn): the next test still starts in PYNATIVE_MODE.
    """
    ms.set_context(mode=ms.GRAPH_MODE)
    assert Network()(ms.Tensor(np.ones((1, 3, 20, 20), np.float32))).shape == (1, 10)


def test_next_test_starts_in_the_session_mode():
    assert ms.get_context("mode") == ms.PYNATIVE_MODE
