"""The seed guide's first snippets, as tests that run in both modes.

From "网络基本构成单元 Cell" and "单元测试": build MyCell around a Conv2d, then
compare its output with a reference. The reference here is numpy (PyTorch is
not needed to show the point): a 'valid' convolution, which is what PyTorch's
Conv2d computes with its default padding=0.
"""
import mindspore as ms
import mindspore.nn as nn
import mindspore.ops as ops
import numpy as np
import pytest


class MyCell(nn.Cell):
    def __init__(self, forward_net):
        super(MyCell, self).__init__(auto_prefix=True)
        self.net = forward_net
        self.relu = ops.ReLU()

    def construct(self, x):
        y = self.net(x)
        return self.relu(y)


def reference_conv_relu(x, weight_value, out_channels, kernel):
    """relu(conv2d(x, w)) with every weight equal to weight_value, no padding, stride 1."""
    n, _, h, w = x.shape
    out = np.empty((n, out_channels, h - kernel + 1, w - kernel + 1), np.float32)
    for i in range(h - kernel + 1):
        for j in range(w - kernel + 1):
            window = x[:, :, i:i + kernel, j:j + kernel].sum(axis=(1, 2, 3))
            out[:, :, i, j] = (window * weight_value)[:, None]
    return np.maximum(out, 0)


def make_net(**conv_kwargs):
    net = MyCell(nn.Conv2d(12, 24, 4, has_bias=False, **conv_kwargs))
    for _, cell in net.cells_and_names():
        if isinstance(cell, nn.Conv2d):
            cell.weight.set_data(ms.common.initializer.initializer(0.1, cell.weight.shape, cell.weight.dtype))
    return net


@pytest.mark.both_modes
def test_parameter_names_follow_attribute_names():
    net = MyCell(nn.Conv2d(12, 24, 4, has_bias=False))
    assert [p.name for p in net.trainable_params()] == ["net.weight"]


@pytest.mark.both_modes
def test_conv2d_with_pad_mode_pad_matches_the_reference():
    x = np.random.uniform(-1, 1, (2, 12, 12, 12)).astype(np.float32)
    y_ms = make_net(pad_mode="pad")(ms.Tensor(x)).asnumpy()
    y_ref = reference_conv_relu(x, 0.1, 24, 4)
    assert y_ms.shape == y_ref.shape == (2, 24, 9, 9)
    np.testing.assert_allclose(y_ms, y_ref, rtol=1e-4, atol=1e-4)


@pytest.mark.both_modes
@pytest.mark.xfail(strict=True, reason="MindSpore's Conv2d defaults to pad_mode='same' (PyTorch: padding=0)")
def test_conv2d_default_padding_differs_from_pytorch():
    x = np.random.uniform(-1, 1, (2, 12, 12, 12)).astype(np.float32)
    y_ms = make_net()(ms.Tensor(x)).asnumpy()
    assert y_ms.shape == reference_conv_relu(x, 0.1, 24, 4).shape
