"""A CRNN-like recognizer: conv backbone, bidirectional LSTM neck, dense head (tests/test_evidence.py,
bench/bench_nonfinite.py). Its float16 step (amp O2) meets MindSpore 2.10's CPU float16 LSTM backward defect."""
from mindspore import nn


class Backbone(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 16, 3, pad_mode="same")
        self.relu = nn.ReLU()

    def construct(self, x):
        features = self.relu(self.conv(x))
        n, c, h, w = features.shape
        return features.reshape(n, c * h, w).transpose(0, 2, 1)


class Crnn(nn.Cell):
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.neck = nn.LSTM(16 * 8, 32, batch_first=True, bidirectional=True)
        self.head = nn.Dense(64, 11)

    def construct(self, x):
        sequence, _ = self.neck(self.backbone(x))
        return self.head(sequence)
