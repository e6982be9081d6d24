"""Porting parity beyond outputs (issue 22): default initialisation against PyTorch (check_init, small
parameters by bounds) and torch_parity's verdicts on ordinary port patterns. On real MindSpore and torch."""
import json

import numpy as np
from conftest import skip_without

from pytest_msgraph.porting.distributions import MIN_DISTRIBUTION, comparison

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


SMALL_INIT = '''
import pytest
import mindspore as ms
import torch
from mindspore import nn

SMALL = {
    "dense_64_1": (lambda: nn.Dense(64, 1), lambda: torch.nn.Linear(64, 1)),
    "dense_2_1": (lambda: nn.Dense(2, 1), lambda: torch.nn.Linear(2, 1)),
    "conv_1x1": (lambda: nn.Conv2d(1, 1, 1, has_bias=True), lambda: torch.nn.Conv2d(1, 1, 1)),
    "conv_bias": (lambda: nn.Conv2d(3, 8, 3, has_bias=True), lambda: torch.nn.Conv2d(3, 8, 3)),
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("layer", sorted(SMALL))
def test_small_parameters_that_agree(torch_parity, layer, seed):
    ms.set_seed(seed)
    torch.manual_seed(seed)
    ms_build, torch_build = SMALL[layer]
    result = torch_parity.check_init(ms_build(), torch_build())
    assert result.ok and not result.unchecked, result.compared
    assert "bounds" in {entry["compared_by"] for entry in result.compared}


@pytest.mark.xfail(strict=True, reason="a 1-element bias of ones lies outside PyTorch's U(-0.707, 0.707)")
def test_small_bias_out_of_range(torch_parity):
    assert torch_parity.check_init(nn.Dense(2, 1, bias_init="ones"), torch.nn.Linear(2, 1)).ok


@pytest.mark.xfail(strict=True, reason="MindSpore's Conv2d has no bias by default, PyTorch's has one")
def test_conv_without_bias(torch_parity):
    assert torch_parity.check_init(nn.Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)).ok


@pytest.mark.xfail(strict=True, reason="MindSpore's Dense has a bias, this Linear none")
def test_dense_with_a_bias_linear_without(torch_parity):
    assert torch_parity.check_init(nn.Dense(3, 2), torch.nn.Linear(3, 2, bias=False)).ok
'''


def test_check_init_bounds_small_parameters_and_flags_a_missing_bias(pytester, run_pytest):
    skip_without("torch", "check_init compares with PyTorch: pip install 'pytest-msgraph[torch]'")
    pytester.makepyfile(test_small_init=SMALL_INIT)
    run = run_pytest()
    outcomes = run.outcomes()
    assert [n for n, o in outcomes.items() if o != "passed"] == [
        "test_small_init.py::test_conv_without_bias", "test_small_init.py::test_dense_with_a_bias_linear_without",
        "test_small_init.py::test_small_bias_out_of_range"], run.stdout()
    assert set(outcomes.values()) == {"passed", "xfailed"}, run.stdout()
    found = {f["nodeid"].split("::")[1]: f["message"] for f in run.findings("torch_parity")}
    assert "bias (8,) has no counterpart in the MindSpore cell" in found["test_conv_without_bias"]
    assert "Fix: build the MindSpore layer with has_bias=True" in found["test_conv_without_bias"]
    assert "has_bias=False" in found["test_dense_with_a_bias_linear_without"]
    assert "1 of 1 value(s) outside PyTorch's range [-0.7071, 0.7071] (such as 1)" in found[
        "test_small_bias_out_of_range"]
    assert len(found) == 3


def test_small_samples_are_compared_by_bounds_and_large_ones_by_distribution():
    rng = np.random.default_rng(0)
    one, other = np.array([0.3]), np.array([-0.5])
    assert comparison(one, other, (-0.7071, 0.7071)) == (None, "bounds")  # two 1-element draws of one U(-a, a)
    assert comparison(one, other) == (None, "nothing")  # no documented range: said, not passed as compared
    why, how = comparison(np.array([1.0]), other, (-0.7071, 0.7071))
    assert how == "bounds" and why.startswith("1 of 1 value(s) outside PyTorch's range [-0.7071, 0.7071]")
    assert comparison(np.zeros(1), np.zeros(1)) == (None, "distribution")  # equal constants at any size
    # A small constant against a small random draw within the range: bounds alone would pass it.
    small = rng.uniform(-0.19, 0.19, 8)
    assert comparison(np.zeros(8), small, (-0.19, 0.19))[0] == "one side is a constant and the other is not"
    big = MIN_DISTRIBUTION * 10
    assert comparison(rng.uniform(-1, 1, big), rng.uniform(-1, 1, big)) == (None, "distribution")
    assert comparison(rng.normal(0, 0.01, big), rng.normal(0, 1, big))[0] is not None


def test_check_init_is_not_ok_when_nothing_was_compared():
    from pytest_msgraph.porting.init_parity import InitResult

    nothing = {"ms": "b", "torch": "b", "why": None, "compared_by": "nothing"}
    assert not InitResult(compared=[nothing]).ok and not InitResult().ok
    assert InitResult(compared=[nothing, dict(nothing, compared_by="bounds")]).ok


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
