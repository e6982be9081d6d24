"""compiled_hooks (issue 39): a hook with Python side effects on a cell GRAPH_MODE compiles is named, and named as
the cause when the pair then ends differently; a hook that only returns a tensor is not. The truth is measured by a
plain script per mode, without the plugin."""
import subprocess
import sys

from pytest_msgraph.core.hook_effects import side_effects

# Two Dense layers; the truth script hooks them without the plugin, the suite with it.
NET = '''
import numpy as np
import mindspore as ms
from mindspore import nn, Tensor


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a = nn.Dense(4, 4)
        self.b = nn.Dense(4, 2)

    def construct(self, x):
        return self.b(self.a(x))
'''

TRUTH = '''
import sys''' + NET + '''

def capture(cell, inputs, output):
    features.append(output)


def double(cell, inputs, output):
    return output * 2


def remember(store, value):
    store.append(value)


def through_a_helper(cell, inputs, output):
    remember(kept, output)


class Extractor:
    def __init__(self):
        self.features = []

    def hook(self, cell, inputs, output):
        self.features.append(output)


ms.set_context(mode=getattr(ms, sys.argv[1]))
ms.set_seed(0)
net, features, kept, extractor = Net(), [], [], Extractor()
net.a.register_forward_hook(capture)
net.a.register_forward_hook(through_a_helper)
net.a.register_forward_hook(extractor.hook)
net.b.register_forward_hook(double)
out = net(Tensor(np.ones((2, 4), np.float32)))
print(len(features), len(kept), len(extractor.features), round(float(out.asnumpy().sum()), 5))
'''

SUITE = '''
import pytest''' + NET + '''

@pytest.mark.both_modes
def test_feature_capture():
    net, features = Net(), []

    def capture(cell, inputs, output):
        features.append(output)

    net.a.register_forward_hook(capture)
    net(Tensor(np.ones((2, 4), np.float32)))
    assert features[0].shape == (2, 4)


@pytest.mark.both_modes
def test_hook_on_a_sequential_member():
    ms.set_seed(0)
    net = nn.SequentialCell([nn.Dense(4, 4), nn.Dense(4, 2)])

    def double(cell, inputs, output):
        return output * 2

    net[1].register_forward_hook(double)
    net(Tensor(np.ones((2, 4), np.float32)))


@pytest.mark.both_modes
def test_tensor_only_hook_lookalike():
    net = Net()

    def double(cell, inputs, output):
        return output * 2

    net.b.register_forward_hook(double)
    net(Tensor(np.ones((2, 4), np.float32)))


def remember(store, value):
    store.append(value)


def summarise(value):
    kept = []
    kept.append(value)
    return value


@pytest.mark.both_modes
def test_capture_through_a_helper():
    net, features = Net(), []

    def capture(cell, inputs, output):
        remember(features, output)

    net.a.register_forward_hook(capture)
    net(Tensor(np.ones((2, 4), np.float32)))
    assert len(features) == 1


class Extractor:
    def __init__(self):
        self.features = []

    def hook(self, cell, inputs, output):
        self.features.append(output)

    def scaled(self, cell, inputs, output):
        return summarise(output) * 2


@pytest.mark.both_modes
def test_capture_by_a_method():
    net, extractor = Net(), Extractor()
    net.a.register_forward_hook(extractor.hook)
    net(Tensor(np.ones((2, 4), np.float32)))
    assert len(extractor.features) == 1


@pytest.mark.both_modes
def test_method_and_helper_without_effects_lookalike():
    net, extractor = Net(), Extractor()
    net.b.register_forward_hook(extractor.scaled)
    net(Tensor(np.ones((2, 4), np.float32)))
'''


def test_the_truth_without_the_plugin(tmp_path):
    script = tmp_path / "truth.py"
    script.write_text(TRUTH)
    graph, pynative = (subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True,
                                      check=True).stdout.split()[-4:] for mode in ("GRAPH_MODE", "PYNATIVE_MODE"))
    # The lists stay empty in GRAPH_MODE: appended by the hook, through a helper, by a bound method.
    assert graph[:3] == ["0", "0", "0"] and pynative[:3] == ["1", "1", "1"]
    assert graph[3] == pynative[3]  # the tensor result applies in both


def test_a_capturing_hook_is_named_and_is_the_cause_of_the_pair(pytester, run_pytest):
    pytester.makepyfile(test_hooks=SUITE)
    run = run_pytest()
    hooks = {f["nodeid"].split("::")[1]: f for f in run.findings("compiled_hooks")}
    assert set(hooks) == {"test_feature_capture[GRAPH_MODE]", "test_hook_on_a_sequential_member[GRAPH_MODE]",
                          "test_capture_through_a_helper[GRAPH_MODE]", "test_capture_by_a_method[GRAPH_MODE]"}
    assert hooks["test_capture_through_a_helper[GRAPH_MODE]"]["effects"] == [
        "calls remember(), which calls store.append()"]
    assert hooks["test_capture_by_a_method[GRAPH_MODE]"]["effects"] == ["calls self.features.append()"]
    assert hooks["test_capture_by_a_method[GRAPH_MODE]"]["hook"] == "Extractor.hook"
    hook = hooks["test_feature_capture[GRAPH_MODE]"]
    assert hook["hook"] == "capture" and hook["path"] == "a" and hook["effects"] == ["calls features.append()"]
    assert hooks["test_hook_on_a_sequential_member[GRAPH_MODE]"]["effects"][0].startswith("is skipped with its tensor")
    verdicts = {f["nodeid"].split("::")[1]: f for f in run.findings("mode_parity")}
    assert set(verdicts) == {"test_feature_capture[GRAPH_MODE]", "test_hook_on_a_sequential_member[GRAPH_MODE]",
                             "test_capture_through_a_helper[GRAPH_MODE]", "test_capture_by_a_method[GRAPH_MODE]"}
    assert {verdicts[n]["rule"] for n in ("test_capture_through_a_helper[GRAPH_MODE]",
                                          "test_capture_by_a_method[GRAPH_MODE]")} == {"compiled_hooks"}
    verdict = verdicts["test_feature_capture[GRAPH_MODE]"]
    assert verdict["rule"] == "compiled_hooks"
    assert "the forward hook `capture` (test_hooks.py:21) on 'a' (Dense), which calls features.append()" \
        in verdict["message"]
    # The skipped hook: the values part, and the hook is the evidence that convicts GRAPH_MODE.
    assert "The GRAPH_MODE side is the wrong one: compiled_hooks saw the forward hook `double`" \
        in verdicts["test_hook_on_a_sequential_member[GRAPH_MODE]"]["message"]
    outcomes = {k.split("::")[1]: v for k, v in run.outcomes().items()}
    assert outcomes["test_tensor_only_hook_lookalike[GRAPH_MODE]"] == "passed"
    assert outcomes["test_method_and_helper_without_effects_lookalike[GRAPH_MODE]"] == "passed"


def test_what_counts_as_a_side_effect():
    log, counts, seen = [], {"n": 0}, set()
    total = 0

    def appends(cell, inputs, output):
        log.append(output)

    def counts_in_a_dict(cell, inputs, output):
        counts["n"] += 1

    def prints(cell, inputs, output):
        print(output.shape)

    def rebinds(cell, inputs, output):
        nonlocal total
        total += 1

    def local_only(cell, inputs, output):
        kept = []
        kept.append(output)
        return output * 2

    assert side_effects(appends) == ["calls log.append()"]
    assert side_effects(counts_in_a_dict) == ["writes counts['n']"]
    assert side_effects(prints) == ["prints"]
    assert side_effects(rebinds) == ["rebinds total"]
    assert side_effects(local_only) == []
    assert side_effects(lambda cell, inputs, output: seen.add(1)) == ["calls seen.add()"]
    assert side_effects(len) == []  # no source: nothing claimed


STORE: list = []


def _remember(store, value):
    store.append(value)


def _keep_locally(value):
    kept = []
    kept.append(value)


def _deep(value):
    _deeper(value)


def _deeper(value):
    STORE.append(value)


class _Extractor:
    def __init__(self):
        self.features, self.calls = [], 0

    def hook(self, cell, inputs, output):
        self.features.append(output)

    def counting(self, cell, inputs, output):
        self.calls += 1

    def record(self, value):
        self.features.append(value)

    def through_a_method(self, cell, inputs, output):
        self.record(output)

    def pure(self, cell, inputs, output):
        return output * 2

    @property
    def exploding(self):
        raise RuntimeError("reading a hook must run none of the user's code")

    def calls_a_property(self, cell, inputs, output):
        return self.exploding(output)


def test_side_effects_through_helpers_and_bound_methods():
    extractor = _Extractor()

    def through_a_helper(cell, inputs, output):
        _remember(STORE, output)

    def helpers_that_keep_nothing(cell, inputs, output):
        _remember([], output)  # a fresh list: nothing outside the hook changes
        _keep_locally(output)

    def two_helpers_deep(cell, inputs, output):
        _deep(output)

    def writes_the_cell(cell, inputs, output):
        cell.seen = True  # GRAPH_MODE runs this at compile time (measured on 2.10): not a difference of modes

    assert side_effects(through_a_helper) == ["calls _remember(), which calls store.append()"]
    assert side_effects(helpers_that_keep_nothing) == []
    assert side_effects(two_helpers_deep) == ["calls _deep(), which calls _deeper(), which calls STORE.append()"]
    assert side_effects(writes_the_cell) == []
    assert side_effects(extractor.hook) == ["calls self.features.append()"]
    assert side_effects(extractor.counting) == ["writes self.calls"]
    assert side_effects(extractor.through_a_method) == ["calls self.record(), which calls self.features.append()"]
    assert side_effects(extractor.pure) == []
    assert side_effects(extractor.calls_a_property) == []  # a property is not run to find what it is
    # A library's functions are not followed: numpy's own writes are not the hook's.
    import numpy as np

    def calls_numpy(cell, inputs, output):
        return np.asarray(output)

    assert side_effects(calls_numpy) == []
