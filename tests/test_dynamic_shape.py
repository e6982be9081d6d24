"""dynamic_shape: across parametrized inputs (merged on the controller) and from the compiled graph."""
import json

import numpy as np
import pytest

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class PositiveRows(nn.Cell):
    def construct(self, box, score):
        mask = (score > 0.3).expand_dims(1)
        return ops.masked_select(box, mask)


class MaskRows(nn.Cell):
    def construct(self, box, score):
        mask = (score > 0.3).expand_dims(1)
        return box * mask, mask


class Unique(nn.Cell):
    def __init__(self):
        super().__init__()
        self.unique = ops.Unique()

    def construct(self, x):
        values, _ = self.unique(x)
        return values


class Scale(nn.Cell):
    def construct(self, x):
        return x * 2


class FrozenSlice(nn.Cell):
    """numpy randomness in construct: frozen at compile time in GRAPH_MODE only."""
    def construct(self, x):
        return x[: np.random.randint(1, 6)]


def boxes(seed):
    rng = np.random.RandomState(seed)
    return Tensor(rng.rand(5, 4).astype(np.float32)), Tensor(rng.rand(5).astype(np.float32))


@pytest.mark.both_modes
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_masked_select(seed):
    PositiveRows()(*boxes(seed))


@pytest.mark.both_modes
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mask_instead(seed):
    MaskRows()(*boxes(seed))


@pytest.mark.both_modes
@pytest.mark.parametrize("batch", [2, 3, 5])
def test_batch_size_changes_the_input_shape(batch):
    Scale()(Tensor(np.ones((batch, 4), np.float32)))


@pytest.mark.both_modes
def test_single_unique():
    Unique()(Tensor(np.array([1, 1, 2, 3], np.int32)))


def test_declared_dynamic_input():
    ms.set_context(mode=ms.GRAPH_MODE)
    net = Scale()
    net.set_inputs(Tensor(shape=[None, 4], dtype=ms.float32))
    net(Tensor(np.ones((3, 4), np.float32)))


@pytest.mark.both_modes
def test_frozen_slice():
    net = FrozenSlice()
    x = Tensor(np.arange(8, dtype=np.float32))
    net(x)
    net(x)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_explicit_record(seed, ms_shapes):
    rng = np.random.RandomState(seed)
    x = Tensor(rng.rand(6).astype(np.float32))
    ms_shapes.record("nonzero_rows", ops.nonzero(x > 0.5), inputs=x)
'''


def _line(fragment):
    """The line of SUITE, as written to test_suite.py, that holds ``fragment``."""
    return next(i for i, line in enumerate(SUITE.splitlines(), 1) if fragment in line)


def _run(pytester, *args):
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-report=r.json", "-p", "no:randomly", *args)
    report = json.loads((pytester.path / "r.json").read_text())
    return result, [f for f in report["findings"] if f["check"] == "dynamic_shape"], report


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("dyn")
    (root / "test_suite.py").write_text(SUITE)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ms-report=r.json"],
                          cwd=root, capture_output=True, text=True)
    report = json.loads((root / "r.json").read_text())
    return done, [f for f in report["findings"] if f["check"] == "dynamic_shape"], report


def _by_test(findings):
    grouped = {}
    for f in findings:
        grouped.setdefault(f["nodeid"].split("::")[1], []).append(f)
    return grouped


@pytest.mark.parametrize("mode", ["GRAPH_MODE", "PYNATIVE_MODE"])
def test_value_dependent_output_across_parametrized_inputs(serial, mode):
    found = [f for f in _by_test(serial[1])["test_masked_select"] if f.get("variants") and f["mode"] == mode]
    [finding] = found
    assert finding["nodeid"] == "test_suite.py::test_masked_select"
    assert finding["cell"] == "PositiveRows"
    assert finding["message"].startswith(
        "PositiveRows output shape depends on input values: (20,) for [1], (8,) for [2], (12,) for [3]")
    assert f"({mode}, same inputs ((5, 4), (5,)))" in finding["message"]
    assert "multiply by a mask instead of selecting" in finding["message"]
    assert [v["shape"] for v in finding["variants"]] == ["(20,)", "(8,)", "(12,)"]
    assert finding["variants"][0]["nodeid"] == f"test_suite.py::test_masked_select[{mode}-1]"


def test_compiled_graph_names_the_op_and_the_line(serial):
    graph = [f for f in _by_test(serial[1])["test_masked_select[GRAPH_MODE-1]"]]
    [finding] = graph
    line = _line("return ops.masked_select(box, mask)")
    assert finding["ops"] == [{"op": "MaskedSelect", "lines": [f"test_suite.py:{line}"]}]
    assert f"started by MaskedSelect at test_suite.py:{line}" in finding["message"]
    [unique] = _by_test(serial[1])["test_single_unique[GRAPH_MODE]"]
    assert unique["ops"] == [{"op": "Unique", "lines": [f"test_suite.py:{_line('values, _ = self.unique(x)')}"]}]


def test_look_alikes_are_not_flagged(serial):
    flagged = set(_by_test(serial[1]))
    for clean in ("test_mask_instead", "test_batch_size_changes_the_input_shape", "test_declared_dynamic_input"):
        assert not [name for name in flagged if name.startswith(clean)], (clean, flagged)
    assert "test_single_unique[PYNATIVE_MODE]" not in flagged  # one input only: nothing to compare
    assert serial[2]["examined"]["dynamic_shape"]["cell calls"] >= 20


def test_graph_and_pynative_mismatch_is_a_finding(serial):
    found = _by_test(serial[1])["test_frozen_slice"]
    # PYNATIVE_MODE draws a new slice each call (a value-dependent shape within the test);
    # GRAPH_MODE froze the first draw at compile time: the modes disagree on call 2.
    [finding] = [f for f in found if f["mode"] is None]
    assert "GRAPH_MODE but" in finding["message"] and "in PYNATIVE_MODE for the same inputs" in finding["message"]
    assert {v["nodeid"] for v in finding["variants"]} == {
        "test_suite.py::test_frozen_slice[GRAPH_MODE]", "test_suite.py::test_frozen_slice[PYNATIVE_MODE]"}


def test_explicit_recording(serial):
    [finding] = _by_test(serial[1])["test_explicit_record"]
    assert finding["cell"] == "nonzero_rows"
    assert finding["message"].startswith("nonzero_rows output shape depends on input values:")


def test_xdist_merges_variants_like_a_serial_run(serial, tmp_path):
    pytest.importorskip("xdist")
    import subprocess
    import sys

    (tmp_path / "test_suite.py").write_text(SUITE)
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ms-report=r.json", "-n", "2"],
                   cwd=tmp_path, capture_output=True, text=True)
    parallel = json.loads((tmp_path / "r.json").read_text())
    serial_findings = sorted(json.dumps(f, sort_keys=True) for f in serial[1])
    parallel_findings = sorted(json.dumps(f, sort_keys=True) for f in parallel["findings"] if f["check"] == "dynamic_shape")
    assert parallel_findings == serial_findings


def test_error_policy_fails_the_session_for_cross_test_findings(pytester):
    result, found, _ = _run(pytester, "--ms-check=dynamic_shape=error", "-k", "test_explicit_record")
    assert [f["severity"] for f in found] == ["error"]
    assert result.ret == 1
    assert "3 passed" in result.stdout.str()


def test_a_cell_built_differently_per_parameter_is_not_a_dynamic_shape(pytester):
    """num_classes parametrized: same inputs, different output shape, nothing value-dependent."""
    pytester.makepyfile('''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class Head(nn.Cell):
    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes
        self.fc = nn.Dense(4, num_classes)

    def construct(self, x):
        return self.fc(x)


@pytest.mark.both_modes
@pytest.mark.parametrize("num_classes", [10, 100])
def test_head(num_classes):
    assert Head(num_classes)(Tensor(np.ones((2, 4), np.float32))).shape == (2, num_classes)
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-report=r.json")
    assert result.ret == 0
    report = json.loads((pytester.path / "r.json").read_text())
    assert [f for f in report["findings"] if f["check"] == "dynamic_shape"] == []


def test_a_long_loop_sends_a_bounded_number_of_records():
    from pytest_msgraph.checks.builtin.dynamic_shape import _CALLS_KEPT, ShapeRecorder
    from pytest_msgraph.checks.findings import TestRun

    run = TestRun("t.py::test_loop", "PYNATIVE_MODE", "CPU")
    recorder = ShapeRecorder(run)
    for _ in range(1000):
        recorder.record("loss", np.zeros(()), inputs=np.zeros((2, 3)))
    recorder.record("loss", np.zeros((1,)), inputs=np.zeros((2, 3)))  # a new shape is always kept
    calls = [r["call"] for r in run.records["dynamic_shape"]]
    assert calls == list(range(_CALLS_KEPT)) + [1000]


def test_settings_anywhere_in_the_cell_tree_make_another_cell(pytester):
    """tests/st/nn's false alarms: an inner loss's reduction, a padding tuple, an inner primitive's
    keep_dims. The value-dependent ops of tests/st/tensor (argwhere, bincount) are still found."""
    pytester.makepyfile('''
import numpy as np
import pytest
from mindspore import nn, ops, Tensor


class LossNet(nn.Cell):
    def __init__(self, reduction):
        super().__init__()
        self.loss = nn.L1Loss(reduction=reduction)

    def construct(self, x, y):
        return self.loss(x, y)


class Mean(nn.Cell):
    def __init__(self, keep_dims):
        super().__init__()
        self.mean = ops.ReduceMean(keep_dims=keep_dims)

    def construct(self, x):
        return self.mean(x, 1)


class ArgWhere(nn.Cell):
    def construct(self, x):
        return x.argwhere()


class BinCount(nn.Cell):
    def construct(self, x):
        return ops.bincount(x)


X = Tensor(np.ones((2, 3), np.float32))


@pytest.mark.both_modes
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_l1(reduction):
    LossNet(reduction)(X, X * 2)


@pytest.mark.both_modes
@pytest.mark.parametrize("padding", [(1, 1, 2, 2), (0, 0, 1, 1)])
def test_pad(padding):
    nn.ReflectionPad2d(padding)(Tensor(np.ones((1, 1, 3, 3), np.float32)))


@pytest.mark.both_modes
@pytest.mark.parametrize("keep_dims", [True, False])
def test_mean(keep_dims):
    Mean(keep_dims)(X)


@pytest.mark.parametrize("values", [[0, 1, 0, 2], [3, 1, 5, 2]])
def test_argwhere(values):
    ArgWhere()(Tensor(np.array(values, np.float32)))


@pytest.mark.parametrize("values", [[0, 1, 0, 2], [3, 1, 5, 2]])
def test_bincount(values):
    BinCount()(Tensor(np.array(values, np.int32)))
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-report=r.json")
    assert result.ret == 0, result.stdout.str()
    report = json.loads((pytester.path / "r.json").read_text())
    flagged = sorted(f["cell"] for f in report["findings"] if f["check"] == "dynamic_shape" and f.get("variants"))
    assert flagged == ["ArgWhere", "BinCount"]


CONFIGURATIONS = '''
import mindspore as ms
from pytest_msgraph.mindspore_side.cell_config import base_attributes, digest

base = base_attributes(ms)


class Wrap(ms.nn.Cell):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner


def same(a, b):
    return digest(a, base) == digest(b, base)


assert same(Wrap(ms.nn.L1Loss("none")), Wrap(ms.nn.L1Loss("none")))
assert not same(Wrap(ms.nn.L1Loss("none")), Wrap(ms.nn.L1Loss("mean")))
assert not same(ms.nn.ReflectionPad2d((1, 1, 2, 2)), ms.nn.ReflectionPad2d((0, 0, 1, 1)))
assert not same(Wrap(ms.ops.ReduceMean(keep_dims=True)), Wrap(ms.ops.ReduceMean(keep_dims=False)))
assert same(ms.nn.Dense(3, 2), ms.nn.Dense(3, 2))
assert not same(ms.nn.Dense(3, 2), ms.nn.Dense(3, 4))
print("ok")
'''


def test_configuration_covers_the_tree_lists_and_primitives():
    """In a subprocess: MindSpore imported in this worker would not survive pytester's unloading."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", CONFIGURATIONS], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
