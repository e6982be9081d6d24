"""mixed_precision: the seed guide's manual mixed-precision advice, checked at run time (issue 13)."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = (Path(__file__).parent / "data" / "mixed_precision_suite.py").read_text()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixed_precision")
    (root / "test_mp.py").write_text(SUITE)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                    "--ms-report=r.json"], cwd=root, capture_output=True, text=True)
    return json.loads((root / "r.json").read_text())


def _kinds(report):
    found = {}
    for f in report["findings"]:
        if f["check"] == "mixed_precision":
            found.setdefault(f["nodeid"].split("::")[1], set()).add(f["kind"])
    return found


def test_the_wrong_recipe_is_caught_in_both_modes(report):
    kinds = _kinds(report)
    for mode in ("GRAPH_MODE", "PYNATIVE_MODE"):
        assert kinds[f"test_wrong_recipe[{mode}]"] == {"batchnorm", "loss_output"}
        assert kinds[f"test_value_and_grad_fp16[{mode}]"] == {"batchnorm"}


def test_custom_to_float_with_amp_level_is_caught(report):
    [finding] = [f for f in report["findings"] if f["nodeid"].endswith("test_o2_custom")]
    assert finding["kind"] == "amp_level" and "do not set amp_level" in finding["message"]


def test_clean_recipes_stay_clean(report):
    kinds = _kinds(report)
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in report["tests"]}
    for clean in ("test_seed_recipe[GRAPH_MODE]", "test_seed_recipe[PYNATIVE_MODE]", "test_float32[GRAPH_MODE]",
                  "test_float32[PYNATIVE_MODE]", "test_o2_clean"):
        assert clean not in kinds
        assert outcomes[clean] == "passed"  # it ran its training step: no finding is a verdict


def test_messages_name_the_batchnorm_and_the_fix(report):
    [finding] = [f for f in report["findings"]
                 if f["nodeid"].endswith("test_wrong_recipe[GRAPH_MODE]") and f["kind"] == "batchnorm"]
    assert "BatchNorm 'network._backbone.layer1.1' runs in float16" in finding["message"]
    assert "cell.to_float(ms.float32)" in finding["message"]


MINDCV = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn

mindcv = pytest.importorskip("mindcv")


@pytest.mark.both_modes
@pytest.mark.parametrize("name, amp_level", [("resnet18", "O0"), ("resnet18", "O2"), ("mobilenet_v2_100", "O2")])
def test_train_step(name, amp_level):
    net = mindcv.create_model(name, num_classes=4, pretrained=False)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    model = ms.train.Model(net, loss_fn=loss, optimizer=nn.Momentum(net.trainable_params(), 0.01, 0.9),
                           amp_level=amp_level, loss_scale_manager=None)
    x = ms.Tensor(np.random.randn(2, 3, 32, 32).astype(np.float32))
    y = ms.Tensor(np.array([0, 1], np.int32))
    model._train_network.set_train()
    model._train_network(x, y)
'''


def test_mindcv_models_raise_no_false_alarm_in_float32_and_under_o2(pytester, run_pytest):
    if importlib.util.find_spec("mindcv") is None:  # not imported here: it would load MindSpore in this process
        pytest.skip("mindcv is in the test extra; this checks its models stay clean")
    pytester.makepyfile(test_mindcv=MINDCV)
    run = run_pytest("--ms-check", "mode_parity=off")
    assert set(run.outcomes().values()) == {"passed"}, run.stdout()[-3000:]
    assert run.findings("mixed_precision") == []
    assert run.findings("recompile") == []  # one train-step graph per test: no recompile either
    assert run.report["examined"]["mixed_precision"]["training steps"] >= 6


MANY_BATCHNORMS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


class Blocks(nn.Cell):
    def __init__(self, count):
        super().__init__()
        self.blocks = nn.SequentialCell([nn.SequentialCell([nn.Conv2d(4, 4, 3, pad_mode="same"), nn.BatchNorm2d(4)])
                                         for _ in range(count)])
        self.fc = nn.Dense(4 * 6 * 6, 2)

    def construct(self, x):
        x = self.blocks(x)
        return self.fc(x.reshape(x.shape[0], -1))


def train(half):
    net = Blocks(5)
    if half:
        net.to_float(ms.float16)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean").to_float(ms.float32)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    step.set_train()
    step(ms.Tensor(np.random.randn(2, 4, 6, 6).astype(np.float32)), ms.Tensor(np.array([0, 1], np.int32)))


@pytest.mark.both_modes
def test_five_batchnorms_in_float16():
    train(half=True)


@pytest.mark.both_modes
def test_five_batchnorms_in_float32():
    train(half=False)
'''


def test_many_cells_of_one_kind_are_one_finding_with_the_count(pytester, run_pytest):
    pytester.makepyfile(test_many=MANY_BATCHNORMS)
    run = run_pytest("--ms-check", "mode_parity=off")
    found = {f["nodeid"].split("::")[1]: f for f in run.findings("mixed_precision")}
    assert len(run.findings("mixed_precision")) == 2  # one per test and kind, not one per BatchNorm
    assert set(found) == {"test_five_batchnorms_in_float16[GRAPH_MODE]", "test_five_batchnorms_in_float16[PYNATIVE_MODE]"}
    finding = found["test_five_batchnorms_in_float16[GRAPH_MODE]"]
    assert finding["kind"] == "batchnorm" and finding["count"] == 5
    assert finding["message"].startswith("5 cells ('network._backbone.blocks.0.1', 'network._backbone.blocks.1.1', "
                                         "'network._backbone.blocks.2.1' and 2 more) "
                                         "have this problem; the first: BatchNorm 'network._backbone.blocks.0.1' runs in float16"), \
        finding["message"]


PLAIN_LOSSES = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops


class SquaredError(nn.Cell):  # a loss written as a plain Cell, not an nn.LossBase
    def construct(self, logits, label):
        return ops.mean((logits - label) ** 2)


class LossWrapper(nn.Cell):  # a user's wrapper written after nn.WithLossCell, without backbone_network
    def __init__(self, net, loss):
        super().__init__()
        self._net, self._loss_fn = net, loss

    def construct(self, x, y):
        return self._loss_fn(self._net(x), y)


def train(wrap, loss_dtype):
    net = nn.Dense(3, 2)
    loss = SquaredError().to_float(loss_dtype)
    step = nn.TrainOneStepCell(wrap(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    step.set_train()
    step(ms.Tensor(np.ones((2, 3), np.float32)), ms.Tensor(np.zeros((2, 2), np.float32)))


@pytest.mark.parametrize("wrap", [nn.WithLossCell, LossWrapper], ids=["WithLossCell", "own_wrapper"])
@pytest.mark.parametrize("loss_dtype", [ms.float16, ms.float32], ids=["float16", "float32"])
def test_plain_cell_loss(wrap, loss_dtype):
    train(wrap, loss_dtype)
'''


def test_a_loss_that_is_a_plain_cell_is_found_through_its_wrapper(pytester, run_pytest):
    """nn.WithLossCell's loss through the public backbone_network route, a wrapper written after it through the
    attribute WithLossCell keeps it in (internals.LOSS_ATTRIBUTE); a float32 loss is the look-alike."""
    pytester.makepyfile(test_losses=PLAIN_LOSSES)
    run = run_pytest("--ms-check", "mode_parity=off")
    assert set(run.outcomes().values()) == {"passed"}, run.stdout()[-3000:]
    flagged = {f["nodeid"].split("::")[1] for f in run.findings("mixed_precision") if f["kind"] == "loss_flag"}
    assert flagged == {"test_plain_cell_loss[float16-WithLossCell]", "test_plain_cell_loss[float16-own_wrapper]"}
