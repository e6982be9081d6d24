"""torch_parity: a migrated Cell against its PyTorch original (issue 12), on real MindSpore and torch."""
import pytest

pytest.importorskip("torch", reason="these tests compare with PyTorch: pip install 'pytest-msgraph[torch]'")

# Each port below is run in both modes. The buggy ones carry the API difference the
# finding must name; the correct ones must pass, with gradients and a train step.
PORTS = '''
import numpy as np
import pytest
import torch
import mindspore as ms
from mindspore import nn, ops

from pytest_msgraph.torch_bridge import copy_weights

rng = np.random.RandomState(0)
IMAGES = rng.uniform(-1, 1, (4, 3, 8, 8)).astype(np.float32)
ROWS = rng.randn(3, 4).astype(np.float32)
SMALL_VARIANCE = (1 + 0.003 * rng.randn(3, 4)).astype(np.float32)


def cnn(ms_momentum=0.9, ms_bias=True):
    ms_net = nn.SequentialCell([nn.Conv2d(3, 4, 3, pad_mode="pad", has_bias=ms_bias),
                                nn.BatchNorm2d(4, momentum=ms_momentum), nn.ReLU(), nn.Flatten(), nn.Dense(4 * 6 * 6, 5)])
    torch_net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4, momentum=0.1),
                                    torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5))
    return ms_net, torch_net


@pytest.mark.both_modes
def test_conv_pad_mode(torch_parity):
    torch_parity.check(nn.Conv2d(3, 4, 3, has_bias=True), torch.nn.Conv2d(3, 4, 3), IMAGES)


@pytest.mark.both_modes
def test_conv_has_bias(torch_parity):
    torch_parity.check(*cnn(ms_bias=False), IMAGES)


@pytest.mark.both_modes
def test_gelu_approximate(torch_parity):
    torch_parity.check(nn.SequentialCell([nn.Dense(4, 8), nn.GELU()]),
                       torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU()), ROWS)


@pytest.mark.both_modes
def test_layernorm_epsilon(torch_parity):
    torch_parity.check(nn.LayerNorm((4,)), torch.nn.LayerNorm(4), SMALL_VARIANCE)


@pytest.mark.both_modes
def test_batchnorm_momentum_copied_over(torch_parity):
    torch_parity.check(*cnn(ms_momentum=0.1), IMAGES, train=True)


@pytest.mark.both_modes
def test_batchnorm_eps(torch_parity):
    torch_parity.check(nn.BatchNorm2d(3, eps=1e-3), torch.nn.BatchNorm2d(3), IMAGES)


@pytest.mark.both_modes
def test_dropout_keep_prob_against_p(torch_parity):
    torch_parity.check(nn.SequentialCell([nn.Dense(4, 512), nn.Dropout(keep_prob=0.2)]),
                       torch.nn.Sequential(torch.nn.Linear(4, 512), torch.nn.Dropout(p=0.2)), ROWS, train=True)


@pytest.mark.both_modes
def test_correct_port_with_grads_and_a_train_step(torch_parity):
    result = torch_parity.check(*cnn(), IMAGES, grads=True, train=True)
    assert result.ok, result.mismatches
    assert {o["name"] for o in result.outputs} == {"output[0]"} and result.outputs[0]["max_abs"] < 1e-4
    assert any(g["name"].startswith("0.weight") for g in result.grads)
    assert {b["name"].split(" ")[0] for b in result.buffers} == {"1.moving_mean", "1.moving_variance"}


@pytest.mark.both_modes
def test_exact_gelu_and_matching_epsilon_pass(torch_parity):
    assert torch_parity.check(nn.SequentialCell([nn.Dense(4, 8), nn.GELU(approximate=False)]),
                              torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.GELU()), ROWS, grads=True).ok
    assert torch_parity.check(nn.LayerNorm((4,), epsilon=1e-5), torch.nn.LayerNorm(4), SMALL_VARIANCE).ok


@pytest.mark.both_modes
def test_embedding_with_integer_indices(torch_parity):
    indices = np.array([[1, 2], [3, 0]], dtype=np.int32)
    assert torch_parity.check(nn.Embedding(5, 3), torch.nn.Embedding(5, 3), indices).ok


def test_shape_mismatch_names_the_parameter(torch_parity):
    torch_parity.check(nn.Dense(4, 3), torch.nn.Linear(4, 2), ROWS)


def test_keep_compares_the_weights_as_set(torch_parity):
    torch_net = torch.nn.Linear(4, 2)
    ms_net = nn.Dense(4, 2)
    mapping = copy_weights(torch_net, ms_net)
    assert dict(mapping) == {"weight": "weight", "bias": "bias"} and mapping.problems == []
    assert torch_parity.check(ms_net, torch_net, ROWS, weights="keep").ok


def test_copy_weights_renames_and_reports(torch_parity):
    mapping = copy_weights(torch.nn.BatchNorm1d(3), nn.BatchNorm1d(3))
    assert dict(mapping) == {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean",
                             "running_var": "moving_variance"}
    with pytest.raises(ValueError, match="bias"):
        copy_weights(torch.nn.Conv2d(3, 4, 3), nn.Conv2d(3, 4, 3), strict=True)
'''

EXPECTED_HINTS = {
    "test_conv_pad_mode": "nn.Conv2d pads 'same' by default, PyTorch pads 0: use pad_mode='pad', padding=0",
    "test_conv_has_bias": "0.bias (4,) has no counterpart in the MindSpore cell",
    "test_gelu_approximate": "nn.GELU() defaults to the tanh approximation",
    "test_layernorm_epsilon": "LayerNorm epsilon is 1e-07 in MindSpore, 1e-05 in PyTorch",
    "test_batchnorm_momentum_copied_over": "PyTorch momentum=0.1 is MindSpore momentum=0.9",
    "test_batchnorm_eps": "BatchNorm eps is 0.001 in MindSpore, 1e-05 in PyTorch",
    "test_dropout_keep_prob_against_p": "Dropout drops 0.8 in MindSpore and 0.2 in PyTorch",
}


@pytest.fixture(scope="module")
def ports(tmp_path_factory):
    import json
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("ports")
    (root / "test_ports.py").write_text(PORTS)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--ms-report=r.json"], cwd=root, capture_output=True, text=True)
    return done, json.loads((root / "r.json").read_text())


def _outcome(report, name):
    return {t["nodeid"].split("::")[1]: t["outcome"] for t in report["tests"]}[name]


@pytest.mark.parametrize("test", sorted(EXPECTED_HINTS))
@pytest.mark.parametrize("mode", ["GRAPH_MODE", "PYNATIVE_MODE"])
def test_each_known_difference_fails_with_its_hint_in_both_modes(ports, test, mode):
    _, report = ports
    nodeid = f"test_ports.py::{test}[{mode}]"
    assert _outcome(report, f"{test}[{mode}]") == "failed"
    [finding] = [f for f in report["findings"] if f["check"] == "torch_parity" and f["nodeid"] == nodeid]
    assert EXPECTED_HINTS[test] in finding["message"], finding["message"]


def test_the_seed_pad_mode_finding_localises_and_gives_both_shapes(ports):
    _, report = ports
    [finding] = [f for f in report["findings"] if f["nodeid"] == "test_ports.py::test_conv_pad_mode[GRAPH_MODE]"]
    assert "shapes differ: MindSpore (4, 4, 8, 8), PyTorch (4, 4, 6, 6)" in finding["message"]


@pytest.mark.parametrize("test", ["test_correct_port_with_grads_and_a_train_step[GRAPH_MODE]",
                                  "test_correct_port_with_grads_and_a_train_step[PYNATIVE_MODE]",
                                  "test_exact_gelu_and_matching_epsilon_pass[GRAPH_MODE]",
                                  "test_exact_gelu_and_matching_epsilon_pass[PYNATIVE_MODE]",
                                  "test_embedding_with_integer_indices[GRAPH_MODE]",
                                  "test_keep_compares_the_weights_as_set", "test_copy_weights_renames_and_reports"])
def test_correct_ports_pass(ports, test):
    done, report = ports
    assert _outcome(report, test) == "passed", done.stdout[-3000:]


def test_the_fixtures_own_calls_are_not_seen_by_the_other_checks(ports):
    _, report = ports
    others = [f for f in report["findings"] if f["check"] in ("double_forward", "bn_update_count", "mode_parity")]
    assert others == []


def test_a_shape_mismatch_names_the_parameter_without_a_traceback(ports):
    done, report = ports
    [finding] = [f for f in report["findings"] if f["nodeid"].endswith("test_shape_mismatch_names_the_parameter")]
    assert "weight (2, 4) does not fit weight (3, 4)" in finding["message"]
    section = done.stdout.split("test_shape_mismatch_names_the_parameter _")[1].split("\n___")[0]
    assert "Traceback" not in section


def test_without_torch_the_fixture_skips_with_a_reason(pytester, run_pytest):
    pytester.makeconftest("import sys\nsys.modules['torch'] = None  # as if torch were not installed\n")
    pytester.makepyfile(test_port="def test_port(torch_parity):\n    pass\n\n\ndef test_other():\n    pass\n")
    run = run_pytest("-rs")
    assert run.outcomes() == {"test_port.py::test_port": "skipped", "test_port.py::test_other": "passed"}
    assert "pip install 'pytest-msgraph[torch]'" in run.stdout()


def test_nothing_else_imports_torch(pytester, run_pytest, net_source):
    pytester.makeconftest('''
import sys


def pytest_sessionfinish(session):
    print("TORCH IMPORTED" if "torch" in sys.modules else "NO TORCH")
''')
    pytester.makepyfile(net_source + "\n@pytest.mark.both_modes\ndef test_a():\n    Net()(ones(2, 3))\n")
    run = run_pytest("-s")
    assert "NO TORCH" in run.stdout()
    assert run.ret == 0 and set(run.outcomes().values()) == {"passed"} and len(run.outcomes()) == 2  # both ran
