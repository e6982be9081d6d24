"""mode_parity: GRAPH_MODE must compute what PYNATIVE_MODE computes."""
import json

import numpy as np
import pytest

from pytest_msgraph.checks.builtin.parity.arithmetic import compare_leaves, encode, tolerance

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Noisy(nn.Cell):
    def construct(self, x):
        return x + ms.Tensor(np.random.randn(*x.shape).astype(np.float32))


class Scaled(nn.Cell):
    def __init__(self):
        super().__init__()
        self.scale = 1.0

    def construct(self, x):
        return x * self.scale


class ConvBN(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Dense(4 * 6 * 6, 3)

    def construct(self, x):
        return self.fc(self.bn(self.conv(x)).reshape(x.shape[0], -1))


class Pair(nn.Cell):
    def construct(self, x):
        return x, {"double": x * 2}


X = Tensor(np.random.RandomState(0).randn(2, 3, 6, 6).astype(np.float32))


@pytest.mark.both_modes
def test_numpy_noise_is_frozen():
    net, x = Noisy(), Tensor(np.zeros(4, np.float32))
    net(x)
    net(x)


@pytest.mark.both_modes
def test_attribute_changed_after_first_call():
    net, x = Scaled(), Tensor(np.ones(3, np.float32))
    net(x)
    net.scale = 2.0
    net(x)


@pytest.mark.both_modes
@pytest.mark.parametrize("train", [True, False])
def test_clean_conv_batchnorm(train):
    net = ConvBN()
    net.set_train(train)
    net(X)
    net(X)


@pytest.mark.both_modes
def test_clean_dense_and_nested_outputs():
    nn.Dense(3, 2)(Tensor(np.ones((4, 3), np.float32)))
    Pair()(Tensor(np.ones(2, np.float32)))


@pytest.mark.both_modes
def test_different_call_counts(ms_mode):
    net, x = Scaled(), Tensor(np.ones(3, np.float32))
    net(x)
    if ms_mode == ms.PYNATIVE_MODE:
        net(x)


@pytest.mark.both_modes
@pytest.mark.ms_tolerance(rtol=10.0, atol=10.0)
def test_tolerance_marker_widens():
    net, x = Noisy(), Tensor(np.zeros(4, np.float32))
    net(x)
    net(x)


def test_not_both_modes_is_not_compared():
    Noisy()(Tensor(np.zeros(4, np.float32)))
'''


def _run(tmp_path, *args):
    import subprocess
    import sys

    (tmp_path / "test_suite.py").write_text(SUITE)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ms-report=r.json", *args],
                          cwd=tmp_path, capture_output=True, text=True)
    report = json.loads((tmp_path / "r.json").read_text())
    found = {}
    for f in report["findings"]:
        if f["check"] == "mode_parity":
            found.setdefault(f["nodeid"].split("::")[1], []).append(f)
    return done, found, report


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("parity"))


def test_frozen_numpy_randomness_is_a_finding_on_the_graph_variant(serial):
    [finding] = serial[1]["test_numpy_noise_is_frozen[GRAPH_MODE]"]
    assert finding["severity"] == "error" and finding["mode"] == "GRAPH_MODE"
    assert finding["cell"] == "Noisy" and finding["call"] == 2 and finding["output"] == "output"
    message = finding["message"]
    assert message.startswith("Noisy call 2, output: GRAPH_MODE differs from PYNATIVE_MODE: max abs diff ")
    assert "4 of 4 elements beyond rtol=0.0001, atol=1e-05); first at index (0,):" in message
    assert ("The GRAPH_MODE side is the wrong one: re-run eagerly from another numpy and Python random state, the call "
            "gives other values (and the same twice from each state): it draws from that state, which GRAPH_MODE froze "
            "into the graph at compile time." in message), message
    assert set(finding["difference"]) >= {"max_abs", "max_rel", "index", "graph", "pynative"}


def test_python_attribute_changed_after_the_first_call(serial):
    [finding] = serial[1]["test_attribute_changed_after_first_call[GRAPH_MODE]"]
    assert "first at index (0,): 1 vs 2" in finding["message"]
    # The side and its evidence, the place, and the fix: one of each.
    assert ("The GRAPH_MODE side is the wrong one: stale_attribute saw `Scaled.scale` changed 1.0 → 2.0"
            in finding["message"]), finding["message"]
    assert "The modes part at Scaled's own construct (" in finding["message"]
    assert "Pass the attribute to construct as a Tensor" in finding["message"]
    [stale] = [f for f in serial[2]["findings"] if f["check"] == "stale_attribute"]
    assert stale["nodeid"].endswith("test_attribute_changed_after_first_call[GRAPH_MODE]")


def test_different_call_counts_are_a_finding(serial):
    [finding] = serial[1]["test_different_call_counts[GRAPH_MODE]"]
    assert finding["message"].startswith("GRAPH_MODE made 1 top-level Cell call(s), PYNATIVE_MODE 2")


def test_clean_networks_and_look_alikes_are_not_flagged(serial):
    assert set(serial[1]) == {
        "test_numpy_noise_is_frozen[GRAPH_MODE]", "test_attribute_changed_after_first_call[GRAPH_MODE]",
        "test_different_call_counts[GRAPH_MODE]",
    }
    assert serial[2]["examined"]["mode_parity"]["values recorded"] >= 20


def test_a_mismatch_fails_the_graph_variant_when_both_ran_in_the_process(serial):
    done = serial[0]
    assert done.returncode == 1
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in serial[2]["tests"]}
    failed = {name for name, outcome in outcomes.items() if outcome == "failed"}
    assert failed == set(serial[1])
    assert "with policy 'error' compare a test function's items" not in done.stdout  # each failed test has its own


def test_variants_split_across_workers_are_compared_at_the_end_of_the_session():
    """The controller's path: records of two workers, never compared in a process."""
    from pytest_msgraph.checks.builtin.parity.arithmetic import encode
    from pytest_msgraph.checks.builtin.parity.mode_parity import ModeParityCheck

    def side(mode, values):
        nodeid = f"t.py::test_f[{mode}-3]"
        leaf = {"path": "output", **encode(np.float32(values), "Float32", [1 << 20])}
        pair = "t.py::test_f[3]"
        return [{"nodeid": nodeid, "mode": mode, "pair": pair, "kind": "header", "calls": 1, "rtol": None, "atol": None},
                {"nodeid": nodeid, "mode": mode, "pair": pair, "kind": "calls", "index": 0, "cell": "Net", "leaves": [leaf]}]

    found = []
    ModeParityCheck().compare(side("GRAPH_MODE", [1.0, 2.0]) + side("PYNATIVE_MODE", [1.0, 2.5]),
                              lambda message, **details: found.append((message, details)))
    [(message, details)] = found
    assert details["nodeid"] == "t.py::test_f[GRAPH_MODE-3]" and details["mode"] == "GRAPH_MODE"
    assert message.startswith("Net call 1, output: GRAPH_MODE differs from PYNATIVE_MODE: max abs diff 0.5")
    assert "first at index (1,): 2 vs 2.5" in message


def test_cli_tolerance_and_size_cap(tmp_path):
    done, found, _ = _run(tmp_path, "--ms-parity-rtol=100", "--ms-parity-atol=100", "-k", "noise or attribute")
    assert found == {}
    done, found, _ = _run(tmp_path, "--ms-parity-max-bytes=8", "-k", "noise")
    [finding] = found["test_numpy_noise_is_frozen[GRAPH_MODE]"]
    assert "compared by summary (the values were over the per-test size cap)" in finding["message"]


def test_xdist_gives_the_same_findings(serial, tmp_path):
    pytest.importorskip("xdist")
    _, found, _ = _run(tmp_path, "-n", "2")
    assert json.dumps(found, sort_keys=True) == json.dumps(serial[1], sort_keys=True)


def test_bad_tolerance_inputs(pytester):
    pytester.makepyfile('''
import pytest
@pytest.mark.ms_tolerance(1e-3)
def test_f():
    pass
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*@pytest.mark.ms_tolerance takes rtol= and/or atol= as numbers >= 0*"])
    result = pytester.runpytest_subprocess("--ms-parity-rtol=tight")
    assert result.ret == 4
    assert "'tight' is not a tolerance; give a finite number >= 0" in result.stderr.str()


@pytest.mark.parametrize("dtype, expected", [
    ("Float16", (1e-3, 1e-3)), ("BFloat16", (1e-2, 1e-2)), ("Float32", (1e-4, 1e-5)),
    ("Float64", (1e-7, 1e-9)), ("Int32", (0.0, 0.0)), ("Bool", (0.0, 0.0)),
])
def test_tolerance_by_dtype(dtype, expected):
    assert tolerance(dtype, None, None) == expected


def test_user_tolerance_applies_to_floats_only():
    assert tolerance("Float32", 1e-2, None) == (1e-2, 1e-5)
    assert tolerance("Int64", 1.0, 1.0) == (0.0, 0.0)


def _leaf(values, dtype):
    array = np.asarray(values)
    return encode(array, dtype, [1 << 20])


def test_float16_noise_passes_where_float32_would_not():
    a, b = [1.0, 2.0], [1.0005, 2.0]
    assert compare_leaves(_leaf(np.float16(a), "Float16"), _leaf(np.float16(b), "Float16"), None, None) is None
    diff = compare_leaves(_leaf(np.float32(a), "Float32"), _leaf(np.float32(b), "Float32"), None, None)
    assert diff["kind"] == "values" and diff["index"] == [0] and diff["mismatched"] == 1


def test_integers_are_exact_and_shapes_must_match():
    assert compare_leaves(_leaf([1, 2], "Int32"), _leaf([1, 3], "Int32"), 1.0, 1.0)["kind"] == "values"
    assert compare_leaves(_leaf([1, 2], "Int32"), _leaf([1, 2, 3], "Int32"), None, None)["kind"] == "dtype or shape"


def test_over_the_cap_a_summary_is_compared():
    budget = [4]
    big = encode(np.arange(10, dtype=np.float32), "Float32", budget)
    assert "summary" in big and "data" not in big
    same = encode(np.arange(10, dtype=np.float32), "Float32", [0])
    assert compare_leaves(big, same, None, None) is None
    shifted = encode(np.arange(10, dtype=np.float32) + 1, "Float32", [0])
    assert compare_leaves(big, shifted, None, None)["kind"] == "summary"


def test_summaries_are_exact_enough_and_zero_references_have_no_relative_diff():
    import numpy as np

    from pytest_msgraph.checks.builtin.parity.arithmetic import compare_leaves, encode, summarize

    values = np.array([[1.0, -3.0], [2.0, 4.0]], np.float32)
    assert summarize(values) == pytest.approx({"min": -3.0, "max": 4.0, "mean": 1.0, "rms": (30 / 4) ** 0.5,
                                               "nonfinite": 0})
    assert summarize(np.arange(4, dtype=np.int64))["max"] == 3.0
    budget = [1 << 20]
    diff = compare_leaves(encode(np.array([1.0, 2.0], np.float32), "Float32", budget),
                          encode(np.array([0.0, 2.0], np.float32), "Float32", budget), None, None)
    assert diff["max_abs"] == 1.0 and diff["max_rel"] is None


def test_complex_values_are_compared_by_both_parts_and_nonfinite_values_name_their_side():
    import warnings

    import numpy as np

    from pytest_msgraph.checks.builtin.parity.arithmetic import compare_leaves, encode

    budget = [1 << 20]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: the imaginary part is never dropped
        flipped = compare_leaves(encode(np.array([1 + 2j], np.complex64), "Complex64", budget),
                                 encode(np.array([1 - 2j], np.complex64), "Complex64", budget), None, None)
        same = compare_leaves(encode(np.array([1 + 2j], np.complex64), "Complex64", budget),
                              encode(np.array([1 + 2.00001j], np.complex64), "Complex64", budget), None, None)
    assert flipped["max_abs"] == 4.0 and same is None
    eager_nan = compare_leaves(encode(np.array([1.0, 2.0], np.float32), "Float32", budget),
                               encode(np.array([np.nan, np.inf], np.float32), "Float32", budget), None, None)
    assert eager_nan["nonfinite"] == {"side": "PYNATIVE_MODE", "graph": 0, "pynative": 2}
    small = [0]  # no bytes left: summaries
    summarized = compare_leaves(encode(np.ones(4, np.float32), "Float32", small),
                                encode(np.array([1, 1, np.nan, 1], np.float32), "Float32", small), None, None)
    assert summarized["kind"] == "summary" and summarized["nonfinite"]["side"] == "PYNATIVE_MODE"


def test_a_cell_shared_by_both_variants_is_not_compared(pytester):
    """A module-scoped fixture trained in the eager variant reaches the graph variant changed."""
    pytester.makepyfile('''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


@pytest.fixture(scope="module")
def net():
    return nn.Dense(3, 2)


@pytest.mark.both_modes
def test_train_a_little(net):
    x = Tensor(np.ones((4, 3), np.float32))
    net(x)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
    step(x, Tensor(np.zeros((4, 2), np.float32)))
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-report=r.json")
    assert result.ret == 0, result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text())
    assert [f for f in report["findings"] if f["check"] == "mode_parity"] == []


def test_a_call_with_mindspores_random_ops_is_said_not_compared(pytester):
    """Its random stream is not the other mode's: not compared, and the count says so (a look-alike without the
    random op is compared and counted as recorded only)."""
    pytester.makepyfile('''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class Noisy(nn.Cell):
    def __init__(self, random):
        super().__init__()
        self.random = random

    def construct(self, x):
        return x + ops.randn_like(x) if self.random else x + 1


@pytest.mark.both_modes
@pytest.mark.parametrize("random", [True, False])
def test_call(random):
    Noisy(random)(Tensor(np.ones((2, 2), np.float32)))
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "--ms-report=r.json")
    assert result.ret == 0, result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text())
    counts = report["examined"]["mode_parity"]
    assert counts["calls with MindSpore random ops, not compared"] == 1, counts
    assert "1 call with MindSpore random ops, not compared" in " ".join(result.stdout.str().split())
