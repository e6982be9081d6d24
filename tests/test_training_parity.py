"""Training parity (issue 21): gradients and trained parameters compared across the pair, stale Python
attributes found without a pair, the wrong side named, a Cell that writes into its caller's tensor.

Every case runs on real MindSpore in both modes; the clean training controls stay clean.
"""
import pytest
from conftest import skip_without

COMMON = '''
import os

import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Backbone(nn.Cell):
    def __init__(self):
        super().__init__()
        self.body = nn.Dense(2, 2, weight_init="ones", bias_init="zeros")
        self.head = nn.Dense(2, 1, weight_init="ones", bias_init="zeros")
        self.freeze_body = False

    def construct(self, x):
        h = self.body(x)
        if self.freeze_body:
            h = ops.stop_gradient(h)
        return self.head(h).sum()


def ones(*shape):
    return Tensor(np.ones(shape, np.float32))

'''

FREEZE = COMMON + '''
@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_grad_after_the_flag_changed(mode):
    ms.set_context(mode=mode)
    net = Backbone()
    grad_fn = ms.grad(net, grad_position=None, weights=net.body.trainable_params())
    grad_fn(ones(1, 2))
    net.freeze_body = True
    grad_fn(ones(1, 2))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_functional_loop(mode):
    ms.set_context(mode=mode)
    net, loss_fn = Backbone(), nn.MSELoss()
    optimizer = nn.SGD(net.trainable_params(), learning_rate=0.01)

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, optimizer.parameters)
    for _ in range(3):
        loss, grads = grad_fn(ones(4, 2), Tensor(np.zeros((), np.float32)))
        optimizer(grads)
        net.freeze_body = True
'''


def _messages(run, check):
    return {f["nodeid"].split("::")[1]: f["message"] for f in run.findings(check)}


def test_a_flag_changed_after_compile_is_named_and_the_gradients_and_weights_part(pytester, run_pytest):
    pytester.makepyfile(test_freeze=FREEZE)
    run = run_pytest()
    assert run.outcomes() == {"test_freeze.py::test_grad_after_the_flag_changed[0]": "failed",
                              "test_freeze.py::test_grad_after_the_flag_changed[1]": "passed",
                              "test_freeze.py::test_functional_loop[0]": "failed",
                              "test_freeze.py::test_functional_loop[1]": "passed"}
    stale = _messages(run, "stale_attribute")
    assert stale["test_grad_after_the_flag_changed[0]"].startswith(
        "`Backbone.freeze_body` changed False → True after GRAPH_MODE compiled the grad of Backbone at test_freeze.py:")
    assert "the graph still uses False" in stale["test_grad_after_the_flag_changed[0]"]
    parity = [f for f in run.findings("mode_parity")]
    grad = next(f for f in parity if f["nodeid"].endswith("test_grad_after_the_flag_changed[0]"))
    assert grad["gradient"] == "weight 'body.weight'" and grad["call"] == 2
    assert "The GRAPH_MODE side is the wrong one: stale_attribute saw `Backbone.freeze_body`" in grad["message"]
    assert "Usual causes" not in grad["message"]
    loop = [f for f in parity if f["nodeid"].endswith("test_functional_loop[0]")]
    step = next(f for f in loop if "parameter" in f)
    assert step["parameter"] == "body.weight" and step["step"] == 2  # the first step after the flag changed
    assert "after training step 2 (SGD), the first step where the modes part" in step["message"]


CLEAN = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class ConvNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.flatten = nn.Flatten()
        self.dense = nn.Dense(4 * 8 * 8, 3)

    def construct(self, x):
        return self.dense(self.flatten(self.bn(self.conv(x))))


def data():
    return Tensor(np.random.randn(2, 1, 8, 8).astype(np.float32)), Tensor(np.array([0, 2], np.int32))


@pytest.mark.both_modes
@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_functional_value_and_grad(optimizer):
    net, loss_fn = ConvNet(), nn.CrossEntropyLoss()
    net.set_train()
    params = net.trainable_params()
    opt = nn.SGD(params, 0.01) if optimizer == "sgd" else nn.Momentum(params, 0.01, 0.9)

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)
    for _ in range(2):
        loss, grads = grad_fn(*data())
        opt(grads)


@pytest.mark.both_modes
@pytest.mark.parametrize("network", ["dense", "conv"])
def test_train_one_step_cell(network):
    body = nn.Dense(3, 3) if network == "dense" else ConvNet()
    x = Tensor(np.random.randn(2, 3).astype(np.float32)) if network == "dense" else data()[0]
    step = nn.TrainOneStepCell(nn.WithLossCell(body, nn.CrossEntropyLoss()), nn.Momentum(body.trainable_params(), 0.01, 0.9))
    step.set_train()
    for _ in range(2):
        step(x, Tensor(np.array([0, 2], np.int32)))


@pytest.mark.both_modes
@pytest.mark.parametrize("model", ["resnet18", "mobilenet_v2_100"])
def test_mindcv_two_steps(model):
    mindcv = pytest.importorskip("mindcv")
    net = mindcv.create_model(model, num_classes=4)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.CrossEntropyLoss()), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    step.set_train()
    x = Tensor(np.random.randn(2, 3, 64, 64).astype(np.float32))
    for _ in range(2):
        step(x, Tensor(np.array([0, 3], np.int32)))
'''


@pytest.mark.slow
def test_clean_training_stays_clean(pytester, run_pytest):
    skip_without("mindcv", "mindcv (the test extra) trains the real models")
    pytester.makepyfile(test_clean=CLEAN)
    run = run_pytest("-W", "ignore::DeprecationWarning")
    assert set(run.outcomes().values()) == {"passed"}, run.stdout()
    assert run.findings("mode_parity") == [] and run.findings("stale_attribute") == []
    assert run.findings("input_mutation") == []
    assert run.report["examined"]["mode_parity"]["values recorded"] > 40  # gradients and steps were compared


STALE_ALONE = COMMON + '''
class Counter(nn.Cell):
    def __init__(self):
        super().__init__()
        self.calls = 0

    def construct(self, x):
        self.calls += 1
        return x * 2


def test_graph_only_suite_finds_it():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Backbone()
    net(ones(1, 2))
    net.freeze_body = True
    net(ones(1, 2))


def test_grad_rebuilt_after_the_change_is_fine():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Backbone()
    ms.grad(net)(ones(1, 2))
    net.freeze_body = True
    ms.grad(net)(ones(1, 2))  # a new grad function compiles again, with the new value


def test_changed_but_never_called_again_is_fine():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Backbone()
    net(ones(1, 2))
    net.freeze_body = True


def test_a_counter_construct_bumps_is_no_setting():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Counter()
    for _ in range(3):
        net(ones(2))


def test_set_train_compiles_another_graph():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = nn.SequentialCell([nn.Dense(2, 2), nn.Dropout(p=0.5)])
    net.set_train(True)
    net(ones(1, 2))
    net.set_train(False)
    net(ones(1, 2))


def test_pynative_reads_the_new_value_anyway():
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = Backbone()
    net(ones(1, 2))
    net.freeze_body = True
    net(ones(1, 2))
'''


def test_stale_attributes_are_found_without_a_pair_and_look_alikes_are_not(pytester, run_pytest):
    pytester.makepyfile(test_stale=STALE_ALONE)
    run = run_pytest()
    found = _messages(run, "stale_attribute")
    assert set(found) == {"test_graph_only_suite_finds_it"}, found
    assert "compiled Backbone at test_stale.py:" in found["test_graph_only_suite_finds_it"]
    assert run.outcomes()["test_stale.py::test_graph_only_suite_finds_it"] == "failed"


MUTATION = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class MaskLabel(nn.Cell):
    def construct(self, logits, label, mask):
        target = ops.cast(label, ms.int32)
        target[~mask] = -100
        return (logits * target.astype(ms.float32)).sum()


class MaskCopy(nn.Cell):
    def construct(self, logits, label, mask):
        target = ops.cast(label, ms.int32).copy()
        target[~mask] = -100
        return (logits * target.astype(ms.float32)).sum()


class Accumulate(nn.Cell):
    def __init__(self):
        super().__init__()
        self.total = ms.Parameter(Tensor(np.zeros(4, np.float32)), name="total")

    def construct(self, x):
        ops.assign_add(self.total, x)
        return self.total * 1


def inputs():
    return (Tensor(np.ones((1, 4), np.float32)), Tensor(np.array([[1, 2, 3, 0]], np.int32)),
            Tensor(np.array([[True, True, False, False]])))


@pytest.mark.both_modes
def test_writes_the_label():
    MaskLabel()(*inputs())


@pytest.mark.both_modes
def test_copies_first():
    MaskCopy()(*inputs())


@pytest.mark.both_modes
def test_assign_to_a_parameter():
    Accumulate()(Tensor(np.ones(4, np.float32)))


@pytest.mark.both_modes
def test_optimizer_updates_parameters():
    net = nn.Dense(4, 1)
    opt = nn.SGD(net.trainable_params(), 0.1)

    def forward(x):
        return net(x).sum()

    opt(ms.grad(forward, None, net.trainable_params())(Tensor(np.ones((2, 4), np.float32))))
'''


def test_a_cell_that_writes_into_its_callers_tensor_is_named_in_pynative_mode_only(pytester, run_pytest):
    pytester.makepyfile(test_mutation=MUTATION)
    run = run_pytest()
    [finding] = run.findings("input_mutation")
    assert finding["nodeid"] == "test_mutation.py::test_writes_the_label[PYNATIVE_MODE]"
    assert finding["severity"] == "warn" and finding["argument"] == "label" and finding["position"] == 1
    assert finding["message"].startswith("MaskLabel wrote into its argument 1 ('label') in place")
    assert "Only PYNATIVE_MODE does this" in finding["message"] and ".copy()" in finding["message"]
    assert set(run.outcomes().values()) == {"passed"}


SIDES = '''
import time

import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_lstm_float16_backward(mode):
    net = ms.amp.auto_mixed_precision(nn.LSTM(8, 32, batch_first=True), "O2")
    x = Tensor((np.random.randn(2, 10, 8) * 100).astype(np.float32))

    def forward(x):
        out, _ = net(x)
        return out.astype(ms.float32).sum() * 100

    ms.grad(forward, grad_position=None, weights=net.trainable_params())(x)


class Unrepeatable(nn.Cell):
    """Reads the clock: another value at every eager call (an op reading memory it does not own, in short)."""

    def construct(self, x):
        return x + time.perf_counter_ns() % 1000003


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_eager_side_that_is_not_repeatable(mode):
    Unrepeatable()(Tensor(np.zeros(4, np.float32)))
'''


def test_the_wrong_side_is_named_and_carries_the_finding(pytester, run_pytest):
    """MindSpore 2.10's float16 LSTM backward on CPU is wrong in PYNATIVE_MODE, right in GRAPH_MODE (0.0004 of
    float32): non-finite in most runs, else finite and different from one eager run to the next."""
    pytester.makepyfile(test_sides=SIDES)
    for _ in range(3):  # the defect is MindSpore's and nondeterministic: under load a run may miss it
        run = run_pytest()
        found = {f["nodeid"].split("::")[1]: f for f in run.findings("mode_parity")}
        if "test_lstm_float16_backward[1]" in found:
            break
    lstm = found["test_lstm_float16_backward[1]"]  # the eager variant
    nonfinite = "PYNATIVE_MODE gives" in lstm["message"] and "NaN or infinite value(s) where GRAPH_MODE is finite" in lstm["message"]
    assert nonfinite or "PYNATIVE_MODE is not deterministic here" in lstm["message"], lstm["message"]
    assert run.outcomes()["test_sides.py::test_lstm_float16_backward[1]"] == "failed"
    assert run.outcomes()["test_sides.py::test_lstm_float16_backward[0]"] == "passed"
    assert "test_lstm_float16_backward[0]" not in found
    eager = found["test_eager_side_that_is_not_repeatable[1]"]
    assert "PYNATIVE_MODE is not deterministic here" in eager["message"]


COMPLEX_AND_CONTIGUOUS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Rotate(nn.Cell):
    def __init__(self):
        super().__init__()
        self.sign = 1.0

    def construct(self, re, im):
        return ops.Complex()(re, im * self.sign)


class Contiguous(nn.Cell):
    def construct(self, x):
        y = x.transpose(1, 0)
        if y.is_contiguous():
            return y * 2
        return y


@pytest.mark.both_modes
def test_imaginary_sign_flips():
    net, x = Rotate(), Tensor(np.ones(3, np.float32))
    net(x, x)
    net.sign = -1.0
    net(x, x)


@pytest.mark.both_modes
def test_branch_on_is_contiguous():
    Contiguous()(Tensor(np.ones((2, 3), np.float32)))
'''


def test_complex_outputs_compare_both_parts_and_semantic_differences_have_their_words(pytester, run_pytest):
    pytester.makepyfile(test_semantics=COMPLEX_AND_CONTIGUOUS)
    run = run_pytest()
    found = {f["nodeid"].split("::")[1]: f["message"] for f in run.findings("mode_parity")}
    assert "test_imaginary_sign_flips[GRAPH_MODE]" in found  # only the imaginary part differs
    assert "ComplexWarning" not in run.stdout()
    assert "Tensor.is_contiguous() inside a Cell is True in GRAPH_MODE" in found["test_branch_on_is_contiguous[GRAPH_MODE]"]


def test_graph_variants_that_compiled_nothing_are_named(pytester, run_pytest):
    pytester.makepyfile(test_ops='''
import numpy as np
import pytest
import mindspore as ms
from mindspore import ops, Tensor


@pytest.mark.both_modes
def test_functional_ops_only():
    assert ops.relu(Tensor(np.ones(3, np.float32))).shape == (3,)
''')
    run = run_pytest()
    assert "1 GRAPH_MODE variant compiled nothing (ops outside a Cell or ms.jit run eagerly): " in run.stdout()
    assert "test_functional_ops_only[GRAPH_MODE]" in run.stdout().split("compiled nothing")[1]
