"""Porting parity beyond outputs (issue 22): default initialisation against PyTorch, custom bprop against
finite differences, and torch_parity's verdicts on ordinary port patterns. On real MindSpore and torch;
ms_gradcheck needs no torch."""
import json

from conftest import skip_without

INIT = '''
import json
import math
import os

import numpy as np
import pytest
import mindspore as ms
import torch
from mindspore import nn
from mindspore.common.initializer import Normal, initializer

AGREEING = {
    "dense": (lambda: nn.Dense(64, 32), lambda: torch.nn.Linear(64, 32)),
    "dense_64_1": (lambda: nn.Dense(64, 1), lambda: torch.nn.Linear(64, 1)),  # 1-value bias: bounds only
    "dense_2_1": (lambda: nn.Dense(2, 1), lambda: torch.nn.Linear(2, 1)),
    "conv1d": (lambda: nn.Conv1d(8, 16, 3, pad_mode="pad", padding=1, has_bias=True),
               lambda: torch.nn.Conv1d(8, 16, 3, padding=1)),
    "conv2d": (lambda: nn.Conv2d(8, 16, 3, pad_mode="pad", padding=1, has_bias=True),
               lambda: torch.nn.Conv2d(8, 16, 3, padding=1)),
    "conv2d_transpose": (lambda: nn.Conv2dTranspose(8, 16, 3, has_bias=True), lambda: torch.nn.ConvTranspose2d(8, 16, 3)),
    "lstm": (lambda: nn.LSTM(16, 32, batch_first=True), lambda: torch.nn.LSTM(16, 32, batch_first=True)),
    "gru": (lambda: nn.GRU(16, 32, batch_first=True), lambda: torch.nn.GRU(16, 32, batch_first=True)),
    "batchnorm": (lambda: nn.BatchNorm2d(16), lambda: torch.nn.BatchNorm2d(16)),
    "layernorm": (lambda: nn.LayerNorm((32,)), lambda: torch.nn.LayerNorm(32)),
}


@pytest.mark.xfail(strict=True, reason="torch_parity: MindSpore draws N(0, 0.01), PyTorch N(0, 1)")
def test_embedding_default_differs(torch_parity):
    torch_parity.check_init(nn.Embedding(1000, 64), torch.nn.Embedding(1000, 64))


def test_embedding_fixed_by_the_hint(torch_parity):
    net, torch_embedding = nn.Embedding(1000, 64), torch.nn.Embedding(1000, 64)
    # The hint's recipe, as the finding writes it:
    net.embedding_table.set_data(initializer(Normal(sigma=1.0), net.embedding_table.shape, net.embedding_table.dtype))
    assert torch_parity.check_init(net, torch_embedding).ok


@pytest.mark.xfail(strict=True, reason="torch_parity: out_proj.bias is uniform in MindSpore, zeros in PyTorch")
def test_attention_out_proj_bias_differs(torch_parity):
    torch_parity.check_init(nn.MultiheadAttention(32, 4), torch.nn.MultiheadAttention(32, 4))


def test_attention_fixed_by_the_hint(torch_parity):
    net, torch_attention = nn.MultiheadAttention(32, 4), torch.nn.MultiheadAttention(32, 4)
    net.out_proj.bias.set_data(initializer("zeros", net.out_proj.bias.shape, net.out_proj.bias.dtype))
    assert torch_parity.check_init(net, torch_attention).ok


@pytest.mark.parametrize("layer", sorted(AGREEING))
def test_layers_that_agree_are_not_flagged(torch_parity, layer):
    ms_build, torch_build = AGREEING[layer]
    assert torch_parity.check_init(ms_build(), torch_build()).ok


def test_no_false_alarm_across_200_seeds(torch_parity):
    from pytest_msgraph.porting.init_parity import check_init

    alarms, compared, embedding_caught = [], 0, 0
    for seed in range(200):
        ms.set_seed(seed)
        torch.manual_seed(seed)
        for layer, (ms_build, torch_build) in AGREEING.items():
            result = check_init(ms_build(), torch_build())
            compared += len(result.compared)
            alarms += [(seed, layer, m["ms"], m["why"]) for m in result.mismatches]
        embedding_caught += not check_init(nn.Embedding(100, 16), torch.nn.Embedding(100, 16)).ok
    with open(os.environ["INIT_RATES"], "w") as handle:
        json.dump({"alarms": alarms, "compared": compared, "embedding_caught": embedding_caught}, handle)
'''


def test_initialisation_is_compared_with_pytorch(pytester, run_pytest, monkeypatch):
    skip_without("torch", "check_init compares with PyTorch: pip install 'pytest-msgraph[torch]'")
    pytester.makepyfile(test_init=INIT)
    rates = pytester.path / "rates.json"
    monkeypatch.setenv("INIT_RATES", str(rates))
    run = run_pytest()
    outcomes = run.outcomes()
    assert {n.split("::")[1] for n, o in outcomes.items() if o == "xfailed"} == {
        "test_embedding_default_differs", "test_attention_out_proj_bias_differs"}
    assert {o for o in outcomes.values()} == {"passed", "xfailed"}, run.stdout()
    [embedding, attention] = sorted(run.findings("torch_parity"), key=lambda f: f["parameter"])
    assert embedding["parameter"] == "embedding_table"
    assert "MindSpore's default: Normal(sigma=0.01)" in embedding["message"]
    assert "net.embedding_table.set_data(initializer(Normal(sigma=1.0), net.embedding_table.shape" in embedding["message"]
    assert embedding["mindspore"]["std"] < 0.02 and 0.9 < embedding["pytorch"]["std"] < 1.1
    assert attention["parameter"] == "out_proj.bias"
    assert 'net.out_proj.bias.set_data(initializer("zeros", net.out_proj.bias.shape' in attention["message"]
    measured = json.loads(rates.read_text())
    assert measured["alarms"] == [] and measured["compared"] >= 200 * 20  # no false alarm in 4000+ comparisons
    assert measured["embedding_caught"] == 200


VERDICTS = '''
import numpy as np
import pytest
import mindspore as ms
import torch
from mindspore import nn, ops

ROWS = np.random.RandomState(0).randn(3, 4).astype(np.float32)


class TiedMs(nn.Cell):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(10, 4)

    def construct(self, ids):
        return ops.matmul(self.embed(ids), self.embed.embedding_table.T)


class TiedPt(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(10, 4)
        self.head = torch.nn.Linear(4, 10, bias=False)
        self.head.weight = self.embed.weight

    def forward(self, ids):
        return self.head(self.embed(ids))


class UnusedMs(nn.Cell):
    def __init__(self):
        super().__init__()
        self.used = nn.Dense(4, 2)
        self.spare = nn.Dense(4, 2)

    def construct(self, x):
        return self.used(x)


class UnusedPt(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.used = torch.nn.Linear(4, 2)
        self.spare = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.used(x)


class DictMs(nn.Cell):
    def __init__(self, scale=1.0):
        super().__init__()
        self.dense = nn.Dense(4, 2)
        self.scale = scale

    def construct(self, x):
        return {"logits": self.dense(x) * self.scale, "features": x}


class DictPt(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = torch.nn.Linear(4, 2)

    def forward(self, x):
        return {"features": x, "logits": self.dense(x)}


class BatchMs(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, pad_mode="pad", padding=1, has_bias=True)
        self.fc = nn.Dense(8, 4)

    def construct(self, x):
        return self.fc(self.conv(x).mean(axis=(2, 3)))


class BatchPt(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(self.conv(x).mean(dim=(2, 3)))


@pytest.mark.both_modes
def test_the_same_batch_twice_keeps_its_gradients(torch_parity):
    ms_net, torch_net = nn.Dense(4, 2), torch.nn.Linear(4, 2)
    for _ in range(3):
        assert torch_parity.check(ms_net, torch_net, ROWS, grads=True).ok


def test_tied_weights_map_once(torch_parity):
    result = torch_parity.check(TiedMs(), TiedPt(), np.array([[1, 2, 3]], np.int64))
    assert result.ok, result.mismatches
    assert result.problems == []


@pytest.mark.both_modes
def test_an_unused_parameter_has_zero_gradients_on_both_sides(torch_parity):
    assert torch_parity.check(UnusedMs(), UnusedPt(), ROWS, grads=True).ok


@pytest.mark.both_modes
def test_dict_outputs_compare_by_key(torch_parity):
    assert torch_parity.check(DictMs(), DictPt(), ROWS).ok


@pytest.mark.xfail(strict=True, reason="the logits differ by a factor 2: named by key")
def test_dict_outputs_name_the_key_that_differs(torch_parity):
    torch_parity.check(DictMs(scale=2.0), DictPt(), ROWS)


def test_a_large_batch_gradient_is_judged_against_float64(torch_parity):
    images = np.random.RandomState(1).randn(16, 3, 224, 224).astype(np.float32)
    result = torch_parity.check(BatchMs(), BatchPt(), images, grads=True)
    assert result.ok, result.mismatches


@pytest.mark.ms_max_compiles(0)
def test_the_fixtures_own_graphs_count_in_no_budget(torch_parity):
    ms.set_context(mode=ms.GRAPH_MODE)
    assert torch_parity.check(nn.Dense(4, 2), torch.nn.Linear(4, 2), ROWS, grads=True).ok
'''


def test_torch_parity_gives_right_verdicts_on_ordinary_port_patterns(pytester, run_pytest):
    skip_without("torch", "torch_parity compares with PyTorch: pip install 'pytest-msgraph[torch]'")
    pytester.makepyfile(test_verdicts=VERDICTS)
    run = run_pytest()
    outcomes = run.outcomes()
    assert outcomes.pop("test_verdicts.py::test_dict_outputs_name_the_key_that_differs") == "xfailed"
    assert set(outcomes.values()) == {"passed"}, run.stdout()
    [finding] = run.findings("torch_parity")
    assert "output['logits']: max abs diff" in finding["message"]


GRADCHECK = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor

CALLS = []


class Square(nn.Cell):
    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (2 * x * dout,)


class SquareForgot2(nn.Cell):
    def construct(self, x):
        return x * x

    def bprop(self, x, out, dout):
        return (x * dout,)


class Sampler(nn.Cell):
    def __init__(self):
        super().__init__()
        self.positions = Tensor(np.array([3, 1, 3], np.int32))

    def construct(self, x):
        return ops.gather(x, self.positions, 1)

    def bprop(self, x, out, dout):
        # The guide's bprop without its loop over the batch: segments summed along the columns.
        summed = ops.UnsortedSegmentSum()(dout.transpose(1, 0), self.positions, x.shape[1])
        return (summed.transpose(1, 0),)


class Noisy(nn.Cell):
    def construct(self, x):
        return x * Tensor(np.random.randn(*x.shape).astype(np.float32))


class Counted(nn.Cell):
    def construct(self, x):
        CALLS.append(1)
        return x * 3


@pytest.mark.both_modes
def test_a_correct_bprop(ms_gradcheck):
    result = ms_gradcheck(Square(), np.random.randn(3, 4))
    assert result.ok and result.precision == "float64" and result.inputs[0]["kind"] == "elementwise"


@pytest.mark.both_modes
def test_the_guides_sampler_vectorised(ms_gradcheck):
    result = ms_gradcheck(Sampler(), np.random.uniform(0, 3, (2, 5)).astype(np.float32))
    assert result.ok


@pytest.mark.both_modes
def test_a_bprop_that_forgot_the_factor_two(ms_gradcheck):
    ms_gradcheck(SquareForgot2(), np.random.randn(3, 4))


@pytest.mark.both_modes
def test_autodiff_with_float32_parameters_along_directions(ms_gradcheck):
    result = ms_gradcheck(nn.Dense(40, 3), np.random.randn(2, 40).astype(np.float32))
    assert result.ok and result.precision == "float32" and result.inputs[0]["kind"] == "directional"


def test_a_random_forward_is_said_not_failed(ms_gradcheck):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    assert not ms_gradcheck(Noisy(), np.random.randn(3).astype(np.float32)).checked


def test_two_forwards_per_direction(ms_gradcheck):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    ms_gradcheck(Counted(), np.random.randn(50).astype(np.float64), directions=5)
    assert len(CALLS) == 2 * 5 + 4  # + the float64 try, the first forward, its repeat, the grad's forward
'''


def test_ms_gradcheck_checks_a_bprop_against_finite_differences(pytester, run_pytest):
    pytester.makepyfile(test_gradcheck=GRADCHECK)
    run = run_pytest()
    outcomes = run.outcomes()
    assert {n: o for n, o in outcomes.items() if o != "passed"} == {
        "test_gradcheck.py::test_a_bprop_that_forgot_the_factor_two[GRAPH_MODE]": "failed",
        "test_gradcheck.py::test_a_bprop_that_forgot_the_factor_two[PYNATIVE_MODE]": "failed"}
    findings = run.findings("gradcheck")
    assert len(findings) == 2 and all(f["custom_bprop"] and f["input"] == 0 for f in findings)
    assert all("SquareForgot2 (custom bprop): the gradient of input 0 disagrees" in f["message"] for f in findings)
    assert "ms_gradcheck could not check Noisy: two forward passes on the same inputs differ" in run.stdout()
