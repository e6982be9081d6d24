"""double_forward and bn_update_count: every grad API, both modes, and the look-alikes."""
import json

import pytest

SUITE = '''
import json
import numpy as np
import pytest
import mindspore as ms
import mindspore.dataset as ds
from mindspore import nn, ops, Tensor


class Block(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, pad_mode="pad", padding=1)
        self.bn1 = nn.BatchNorm2d(4)

    def construct(self, x):
        return self.bn1(self.conv(x))


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.backbone = nn.SequentialCell([Block()])
        self.head = nn.SequentialCell([nn.Flatten(), nn.Dense(4 * 4 * 4, 10)])

    def construct(self, x):
        return self.head(self.backbone(x))


class PlainNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.head = nn.SequentialCell([nn.Flatten(), nn.Dense(3 * 4 * 4, 10)])

    def construct(self, x):
        return self.head(x)


class Doubler(nn.Cell):
    def construct(self, x):
        return x * 2

    def bprop(self, x, out, dout):
        return (dout * 2,)


X = Tensor(np.random.randn(2, 3, 4, 4).astype(np.float32))
Y = Tensor(np.array([1, 2], np.int32))


def loss_cell(net):
    cell = nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"))
    cell.set_train()
    return cell


@pytest.fixture
def net():
    n = Net()
    n.set_train()
    return n


# ---- caught ------------------------------------------------------------------
@pytest.mark.both_modes
def test_bad_gradoperation(net):
    net(X)
    ops.GradOperation()(net)(X)


@pytest.mark.both_modes
def test_bad_gradoperation_all_flags(net):
    net(X)
    weights = ms.ParameterTuple(net.trainable_params())
    ops.GradOperation(get_all=True, get_by_list=True)(net, weights)(X)


@pytest.mark.both_modes
def test_bad_gradoperation_sens(net):
    out = net(X)
    ops.GradOperation(sens_param=True)(net)(X, ops.ones_like(out))


@pytest.mark.both_modes
def test_bad_ms_grad(net):
    net(X)
    ms.grad(net)(X)


@pytest.mark.both_modes
def test_bad_ms_value_and_grad(net):
    net(X)
    ms.value_and_grad(net)(X)


@pytest.mark.both_modes
def test_bad_ops_grad(net):
    net(X)
    ops.grad(net)(X)


@pytest.mark.both_modes
def test_bad_ops_value_and_grad(net):
    net(X)
    ops.value_and_grad(net)(X)


@pytest.mark.both_modes
def test_bad_with_loss_cell(net):
    wl = loss_cell(net)
    wl(X, Y)
    ms.grad(wl, grad_position=None, weights=wl.trainable_params())(X, Y)


@pytest.mark.both_modes
def test_bad_backbone_forward_then_grad_of_loss(net):
    wl = loss_cell(net)
    net(X)
    ms.value_and_grad(wl)(X, Y)


def test_bad_function_of_the_net(net):
    def forward(x):
        return net(x).sum()
    net(X)
    ms.value_and_grad(forward)(X)


@pytest.mark.both_modes
def test_graph_set_grad_does_not_help(net):
    net.set_grad()
    net(X)
    ms.grad(net)(X)


# ---- clean -------------------------------------------------------------------
def test_ok_set_grad_then_grad(net):
    net.set_grad()
    net(X)
    ops.GradOperation()(net)(X)


@pytest.mark.both_modes
def test_ok_value_and_grad_alone(net):
    for _ in range(3):
        ms.value_and_grad(net)(X)


@pytest.mark.both_modes
def test_ok_grad_alone(net):
    ms.grad(net)(X)


@pytest.mark.both_modes
def test_ok_train_one_step_cell(net):
    wl = loss_cell(net)
    step = nn.TrainOneStepCell(wl, nn.Momentum(wl.trainable_params(), 0.01, 0.9))
    step.set_train()
    for _ in range(3):
        step(X, Y)


@pytest.mark.both_modes
def test_ok_model_train(net):
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    model = ms.train.Model(net, loss, nn.Momentum(net.trainable_params(), 0.01, 0.9))
    data = ds.NumpySlicesDataset(
        {"x": np.random.randn(6, 3, 4, 4).astype(np.float32), "y": np.random.randint(0, 10, (6,)).astype(np.int32)},
        shuffle=False).batch(2)
    model.train(2, data, dataset_sink_mode=False)


@pytest.mark.both_modes
def test_ok_grad_on_different_inputs(net):
    net(X)
    ms.grad(net)(Tensor(X.asnumpy()))


@pytest.mark.both_modes
def test_ok_cells_inside_jit(net):
    @ms.jit
    def forward(x):
        return net(x)
    forward(X)
    ms.grad(net)(X)


@pytest.mark.both_modes
def test_ok_jitted_train_step(net):
    wl = loss_cell(net)
    optimizer = nn.SGD(wl.trainable_params(), 0.01)
    grad_fn = ms.value_and_grad(wl, None, optimizer.parameters)

    @ms.jit
    def step(x, y):
        loss, grads = grad_fn(x, y)
        optimizer(grads)
        return loss
    for _ in range(2):
        step(X, Y)


def test_ok_custom_bprop_with_set_grad():
    cell = Doubler().set_grad()
    cell(X)
    (dx,) = ops.GradOperation(get_all=True)(cell)(X)
    assert np.allclose(dx.asnumpy(), 2)


@pytest.mark.both_modes
def test_ok_eval_forward_only(net):
    net.set_train(False)
    net(X)
    net(X)


@pytest.mark.both_modes
def test_bad_forward_twice_without_batchnorm():
    # A double forward all the same (double_forward), but no statistics to update twice.
    net = PlainNet()
    net(X)
    ms.value_and_grad(net)(X)
'''


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory):
    """Run the suite once (both modes) and share the report: it is the slow part."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("grad_suite")
    (root / "test_suite.py").write_text(SUITE)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ms-report=report.json", "-p", "no:randomly"],
        cwd=root, capture_output=True, text=True,
    )
    return done, json.loads((root / "report.json").read_text())


def _findings(report, check):
    found = {}
    for f in report["findings"]:
        if f["check"] == check:
            found.setdefault(f["nodeid"].split("::")[1], []).append(f)
    return found


BAD_PYNATIVE = [
    ("test_bad_gradoperation", "ops.GradOperation", "Net", "Net (the differentiated network itself)"),
    ("test_bad_gradoperation_all_flags", "ops.GradOperation", "Net", "Net (the differentiated network itself)"),
    ("test_bad_gradoperation_sens", "ops.GradOperation", "Net", "Net (the differentiated network itself)"),
    ("test_bad_ms_grad", "grad", "Net", "Net (the differentiated network itself)"),
    ("test_bad_ms_value_and_grad", "value_and_grad", "Net", "Net (the differentiated network itself)"),
    ("test_bad_ops_grad", "grad", "Net", "Net (the differentiated network itself)"),
    ("test_bad_ops_value_and_grad", "value_and_grad", "Net", "Net (the differentiated network itself)"),
    ("test_bad_with_loss_cell", "grad", "WithLossCell", "WithLossCell (the differentiated network itself)"),
    ("test_bad_backbone_forward_then_grad_of_loss", "value_and_grad", "_backbone",
     "Net '_backbone' inside the differentiated WithLossCell"),
]


@pytest.mark.parametrize("test, api, cell, where", BAD_PYNATIVE, ids=[b[0] for b in BAD_PYNATIVE])
def test_double_forward_catches_every_grad_api_in_pynative(suite_run, test, api, cell, where):
    found = _findings(suite_run[1], "double_forward")
    [finding] = found[f"{test}[PYNATIVE_MODE]"]
    assert finding["severity"] == "error"
    assert finding["mode"] == "PYNATIVE_MODE"
    assert finding["api"] == api
    assert finding["cell"] == cell
    assert finding["forwards"] == 2
    assert finding["message"].startswith(f"{where} ran its forward 2 times for one {api} call at test_suite.py:")
    assert "set_grad()" in finding["message"] and "ms.value_and_grad" in finding["message"]
    assert "nn.TrainOneStepCell" in finding["message"]
    assert f"{test}[GRAPH_MODE]" not in found, "double_forward is a PYNATIVE_MODE check"


def test_double_forward_names_the_function_that_was_differentiated(suite_run):
    [finding] = _findings(suite_run[1], "double_forward")["test_bad_function_of_the_net"]
    assert finding["message"].startswith("Net called by the differentiated function forward() ran its forward 2 times")


def test_double_forward_is_silent_for_correct_code(suite_run):
    flagged = set(_findings(suite_run[1], "double_forward"))
    assert not [name for name in flagged if "_ok_" in name]
    assert set(flagged) == {f"{b[0]}[PYNATIVE_MODE]" for b in BAD_PYNATIVE} | {
        "test_bad_function_of_the_net", "test_bad_forward_twice_without_batchnorm[PYNATIVE_MODE]"}


BN_CAUGHT = {
    # test name -> BatchNorm path in the network the plain forward called
    "test_bad_gradoperation": "backbone.0.bn1",
    "test_bad_gradoperation_all_flags": "backbone.0.bn1",
    "test_bad_gradoperation_sens": "backbone.0.bn1",
    "test_bad_ms_grad": "backbone.0.bn1",
    "test_bad_ms_value_and_grad": "backbone.0.bn1",
    "test_bad_ops_grad": "backbone.0.bn1",
    "test_bad_ops_value_and_grad": "backbone.0.bn1",
    "test_bad_with_loss_cell": "_backbone.backbone.0.bn1",
    "test_bad_backbone_forward_then_grad_of_loss": "backbone.0.bn1",
}


@pytest.mark.parametrize("mode", ["GRAPH_MODE", "PYNATIVE_MODE"])
@pytest.mark.parametrize("test", sorted(BN_CAUGHT))
def test_bn_update_count_catches_double_updates_in_both_modes(suite_run, test, mode):
    [finding] = _findings(suite_run[1], "bn_update_count")[f"{test}[{mode}]"]
    path = BN_CAUGHT[test]
    assert finding["cell"] == path
    assert finding["updates"] == 2
    assert f"BatchNorm '{path}' in " in finding["message"]
    assert "updated 2 times in one training step (expected 1)" in finding["message"]
    cause = "ran as two graphs" if mode == "GRAPH_MODE" else "because set_grad() was not called"
    assert cause in finding["message"]


def test_bn_update_count_graph_mode_set_grad_does_not_help(suite_run):
    found = _findings(suite_run[1], "bn_update_count")
    [finding] = found["test_graph_set_grad_does_not_help[GRAPH_MODE]"]
    assert "set_grad() does not help in GRAPH_MODE" in finding["message"]
    assert "test_graph_set_grad_does_not_help[PYNATIVE_MODE]" not in found


def test_bn_update_count_is_silent_for_correct_code(suite_run):
    flagged = set(_findings(suite_run[1], "bn_update_count"))
    assert not [name for name in flagged if "_ok_" in name]
    assert not [name for name in flagged if "without_batchnorm" in name]


def test_summary_confirms_steps_checked(suite_run):
    done, report = suite_run
    counts = report["examined"]["bn_update_count"]
    assert counts["training steps"] >= 30
    assert counts["BatchNorm cells found updated once"] >= 20
    assert report["examined"]["double_forward"]["grad calls"] >= 20
    assert "bn_update_count [error]: " in done.stdout
    assert "training steps, " in done.stdout and "BatchNorm cells found updated once" in done.stdout


def test_only_the_flagged_tests_fail(suite_run):
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in suite_run[1]["tests"]}
    failed = {name for name, outcome in outcomes.items() if outcome != "passed"}
    flagged = set(_findings(suite_run[1], "double_forward")) | set(_findings(suite_run[1], "bn_update_count"))
    assert failed == flagged, suite_run[0].stdout[-3000:]


def test_checks_do_not_change_what_the_test_observes(pytester, monkeypatch):
    """Moving statistics after a double-updating test are identical with the plugin on and off."""
    pytester.makepyfile('''
import json, os
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


@pytest.mark.parametrize("mode", [0, 1])
def test_stats(mode):
    ms.set_context(mode=mode)
    ms.set_seed(0)
    np.random.seed(0)
    net = nn.SequentialCell([nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4)])
    net.set_train()
    x = Tensor(np.random.randn(2, 3, 6, 6).astype(np.float32))
    for _ in range(2):
        net(x)
        ops.GradOperation()(net)(x)
    ms.value_and_grad(net)(x)
    bn = net[1]
    with open(os.environ["STATS_OUT"] + f"-{mode}.json", "w") as f:
        json.dump([bn.moving_mean.asnumpy().tolist(), bn.moving_variance.asnumpy().tolist()], f)
''')
    stats = {}
    for label, extra in (("on", ["--ms-check=double_forward=warn", "--ms-check=bn_update_count=warn",
                                 "--ms-report=r.json"]),
                         ("off", ["-p", "no:msgraph"])):
        monkeypatch.setenv("STATS_OUT", str(pytester.path / label))
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *extra)
        assert result.ret == 0, result.stdout.str()
        stats[label] = {mode: (pytester.path / f"{label}-{mode}.json").read_text() for mode in (0, 1)}
    assert stats["on"] == stats["off"]
    # The plugin did watch these steps: both modes were flagged.
    flagged = {f["nodeid"] for f in json.loads((pytester.path / "r.json").read_text())["findings"]
               if f["check"] == "bn_update_count"}
    assert flagged == {"test_checks_do_not_change_what_the_test_observes.py::test_stats[0]",
                       "test_checks_do_not_change_what_the_test_observes.py::test_stats[1]"}


def test_missing_internals_on_a_tested_release_make_the_check_inactive_and_fail_the_session(pytester,
                                                                                            without_grad_internals):
    pytester.makeconftest(without_grad_internals)
    pytester.makepyfile('''
import numpy as np
import mindspore as ms
from mindspore import nn

def test_a():
    net = nn.Dense(2, 2)
    net(ms.Tensor(np.ones((1, 2), np.float32)))

def test_b():
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 1  # every test passed, but two checks proved nothing on a release they are tested on
    out = result.stdout.str()
    result.assert_outcomes(passed=2)
    assert "session error: msgraph: check 'double_forward' is inactive for this session" in out
    assert out.count("check 'double_forward' is inactive for this session") == 2  # the warning, the session error
    assert out.count("check 'bn_update_count' is inactive for this session") == 2
    assert "lacks the PyNative grad functions this check relies on: tested on MindSpore 2.7.2 to 2.10.0" in out
    result.stdout.fnmatch_lines(["double_forward [[]error[]]: inactive (ProbeUnavailable: *"])
