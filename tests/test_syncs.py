"""The syncs the plugin causes per PyNative step (issue 40), counted by a probe on the reads, not a timer.

A read of a tensor's value (``asnumpy``, ``float()``, ``bool()``), or of a Parameter's
``param_info`` (its name), waits for every queued op to finish: a *sync*. An attribute read
(``dtype``, ``shape``) waits for the tensor's own op to be dispatched: counted as a sync of
its own when no value read comes in the same event (core/tensors.py). The inner suite
trains a small CNN in the three styles users write (``nn.TrainOneStepCell``,
``value_and_grad`` + ``opt(grads)``, an eval loop) with every check at its default, and
records each read the plugin makes in the steps after the first (which compiles and sets
up, once per test): each read whose caller, past the Tensor's and Parameter's own methods,
is the plugin's code. The loop itself reads nothing. Reads made in one probe event are one
sync (the first waits, the rest find the queue empty).

The counts are pinned, per step and per place: a check that adds a read, or a sync, fails
here. Why there are any: a step's parameters change at the next step, and input_mutation
compares a call's inputs before and after it, so they are read at once; a copy made by an op
instead costs a CPU step more than the read does (docs/performance.md). A call's outputs and
a grad call's gradients are read later, with the next read the test or a check makes anyway,
and MindSpore's own optimizers' inputs are not read.
"""
import json
from pathlib import Path

import pytest
from conftest import NET_SOURCE

STEPS = 6
# The Tensor attributes whose read waits for the tensor's op to be dispatched (core/tensors.py).
ATTRIBUTES = ("dtype", "shape", "nbytes", "size", "ndim")

# Per PYNATIVE_MODE step: (syncs, {file: value reads}). input_mutation reads a user's cell's inputs before and after
# its call (two syncs); mode_parity reads the trained parameters at the end of a step (in the same sync as the
# second), and what it kept of the step first: the gradients, a train-step call's loss. A top-level call's outputs
# wait once to be dispatched (cell_calls.deferred_error: a kernel that fails lazily is the call's failure, not a
# check's crash). What an eval call returns is read later, with the test's own reads: when the test reads the output
# itself, mode_parity takes the array the test's read returned, and reads nothing more.
EXPECTED = {
    "test_train_one_step": (3, {"values.py": 5 + 1, "input_mutation.py": 2 + 2}),  # 5 parameters, the loss; x and y
    "test_functional": (1, {"values.py": 5 + 5}),  # the 5 parameters the optimizer trained, their 5 gradients
    "test_eval_loop": (3, {"input_mutation.py": 1 + 1}),  # x, before and after
    # The same reads: the output's values are the test's read. The fourth event asks that output's dtype, after the
    # test's read (its op has run: no wait, but the probe cannot tell).
    "test_eval_reading_each": (4, {"input_mutation.py": 1 + 1}),
}

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn
''' + (Path(__file__).parent / "data" / "small_cnn.py").read_text() + '''


def data():
    x = ms.Tensor(np.random.randn(16, 3, 16, 16).astype(np.float32))
    y = ms.Tensor(np.random.randint(0, 10, (16,)).astype(np.int32))
    return x, y


@pytest.mark.both_modes
def test_train_one_step(syncs):
    net = SmallCNN()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.01, 0.9))
    step.set_train()
    x, y = data()
    step(x, y)  # the first step compiles and sets up (once per test, not per step)
    with syncs():
        losses = [step(x, y) for _ in range(STEPS)]
    assert np.isfinite(losses[-1].asnumpy())


@pytest.mark.both_modes
def test_functional(syncs):
    net = SmallCNN()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), 0.01, 0.9)

    def forward(x, y):
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)
    net.set_train()
    x, y = data()
    opt(grad_fn(x, y)[1])
    with syncs():
        for _ in range(STEPS):
            loss, grads = grad_fn(x, y)
            opt(grads)
    assert np.isfinite(loss.asnumpy())


@pytest.mark.both_modes
def test_eval_loop(syncs):
    net = SmallCNN()
    net.set_train(False)
    x, _ = data()
    net(x)
    with syncs():
        outs = [net(x) for _ in range(STEPS)]
    assert np.isfinite(outs[-1].asnumpy()).all()


@pytest.mark.both_modes
def test_eval_reading_each(syncs):
    net = SmallCNN()
    net.set_train(False)
    x, _ = data()
    net(x).asnumpy()
    with syncs():
        maxima = [float(net(x).asnumpy().max()) for _ in range(STEPS)]
    assert np.isfinite(maxima).all()
'''

# Records the plugin's reads inside ``with syncs():``, each with the probe event it was made in. Its wrappers go
# on the lowest Python-level reads: Tensor.asnumpy and Tensor._item (float, int, bool, item), and
# Parameter.param_info (a name read waits).
CONFTEST = '''
import contextlib
import json
import os
import sys

import pytest

READS = []
ATTRIBUTES = ''' + repr(ATTRIBUTES) + '''
_state = {"counting": False, "event": None, "events": 0}

# The Tensor's and Parameter's own methods (float(t), p.name) read for their caller; the plugin's read watch only
# passes reads on. A read whose caller, past those, is MindSpore's code (a compile reading names) is MindSpore's.
PASSING = ("mindspore/common/tensor.py", "mindspore/common/parameter.py", "pytest_msgraph/mindspore_side/probes/"
           "deferred_reads.py")


def _reader(frame):
    while frame is not None and frame.f_code.co_filename.replace(os.sep, "/").endswith(PASSING):
        frame = frame.f_back
    return frame


def _counted(read, what):
    def counted(*args, **kwargs):
        caller = _reader(sys._getframe(1)) if _state["counting"] else None
        if caller is not None and "pytest_msgraph" in caller.f_code.co_filename.replace(os.sep, "/"):
            event = _state["event"]
            if event is None:  # a read outside any probe event: a sync of its own
                _state["events"] += 1
                event = f"outside {_state['events']}"
            READS.append([what, os.path.basename(caller.f_code.co_filename), caller.f_lineno, event])
        return read(*args, **kwargs)
    return counted


def pytest_configure(config):
    import mindspore as ms
    from pytest_msgraph.mindspore_side.probes import hub

    for name in ("asnumpy", "_item"):
        setattr(ms.Tensor, name, _counted(getattr(ms.Tensor, name), name))
    # An attribute read waits for the tensor's op to be dispatched: on a tensor just made, a wait of its own.
    for name in ATTRIBUTES:
        setattr(ms.Tensor, name, property(_counted(getattr(ms.Tensor, name).fget, name)))
    info = ms.Parameter.param_info
    ms.Parameter.param_info = property(_counted(info.fget, "param_info"), info.fset)
    emit = hub.Probes.emit

    def tagged(self, event, *args):
        outer = _state["event"]
        if outer is None:
            _state["events"] += 1
            _state["event"] = f"{event} {_state['events']}"
        try:
            return emit(self, event, *args)
        finally:
            _state["event"] = outer

    hub.Probes.emit = tagged


@pytest.fixture
def syncs(request):
    @contextlib.contextmanager
    def counting():
        del READS[:]
        _state["counting"] = True
        try:
            yield
        finally:
            _state["counting"] = False
            with open(f"syncs-{os.getpid()}.jsonl", "a") as out:
                out.write(json.dumps({"test": request.node.name, "reads": list(READS)}) + "\\n")
    return counting
'''


def _per_step(pytester):
    """{test: (syncs per step, {file: reads per step}, the reads)}."""
    found = {}
    for path in pytester.path.glob("syncs-*.jsonl"):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            reads = entry["reads"]
            by_file = {}
            for what, file, _, _ in reads:
                if what not in ATTRIBUTES:  # value reads are pinned per file; an attribute read only as a wait
                    by_file[file] = by_file.get(file, 0) + 1
            found[entry["test"]] = (len({event for *_, event in reads}) / STEPS,
                                    {file: count / STEPS for file, count in by_file.items()}, reads)
    return found


def _suite(pytester, extra=""):
    pytester.makepyfile(test_loops=SUITE.replace("STEPS", str(STEPS)))
    pytester.makeconftest(CONFTEST + extra)


def test_the_syncs_per_pynative_step_are_pinned(pytester, run_pytest):
    _suite(pytester)
    run = run_pytest()
    assert run.ret == 0, run.stdout()
    found = _per_step(pytester)
    assert len(found) == 8, found
    for style, expected in EXPECTED.items():
        syncs, reads, raw = found[f"{style}[PYNATIVE_MODE]"]
        assert (syncs, reads) == expected, (style, raw[:12])
    # The checks did look: every step and call was recorded, and read.
    examined = run.report["examined"]
    assert examined["mode_parity"]["values recorded"] >= 2 * 3 * STEPS, examined
    assert examined["input_mutation"]["cell calls"] >= 2 * 2 * STEPS, examined
    assert examined["bn_update_count"], examined


def test_a_grads_gradients_are_recorded_but_read_later(pytester, run_pytest):
    """The functional style's gradients: recorded (the pair compares them), but not read between the backward
    and the optimizer: every read is at the optimizer call's end."""
    _suite(pytester)
    run = run_pytest("-k", "functional")
    assert run.ret == 0, run.stdout()
    reads = _per_step(pytester)["test_functional[PYNATIVE_MODE]"][2]
    assert reads and all(event.startswith("forward_finished") for *_, event in reads), reads[:6]


@pytest.mark.parametrize("style", ["test_functional", "test_eval_loop"])
def test_the_probe_sees_a_sync_added_on_the_hot_path(pytester, run_pytest, style):
    """The probe is not blind: a plugin function that reads each top-level call's inputs as the call starts
    (``rerun.arrays``) is one more sync per step."""
    _suite(pytester, """

@pytest.fixture(autouse=True)
def _read_as_each_call_starts(monkeypatch):
    from pytest_msgraph.checks.builtin.parity import rerun
    from pytest_msgraph.mindspore_side.probes import hub
    emit = hub.Probes.emit

    def emit_and_read(self, event, *args):
        if event == "forward_started":
            rerun.arrays(args[1])
        return emit(self, event, *args)

    monkeypatch.setattr(hub.Probes, "emit", emit_and_read)
""")
    run = run_pytest("-k", style)
    assert run.ret == 0, run.stdout()
    syncs, reads, raw = _per_step(pytester)[f"{style}[PYNATIVE_MODE]"]
    assert syncs > EXPECTED[style][0], raw[:12]
    assert "rerun.py" in reads, reads


def test_the_probe_sees_an_attribute_read_on_a_fresh_gradient(pytester, run_pytest):
    """Asking a gradient's size (or dtype) as the grad returns waits for the backward's ops to be dispatched,
    between the grad and the optimizer: one more sync per step (core/tensors.py tells a tensor by its type)."""
    _suite(pytester, """

@pytest.fixture(autouse=True)
def _sized_as_they_come(monkeypatch):
    from pytest_msgraph.core import tensors
    from pytest_msgraph.mindspore_side.probes import grad_outputs
    monkeypatch.setattr(grad_outputs, "is_tensor", lambda value: tensors.is_tensor(value) and tensors.nbytes([value]) > 0)
""")
    run = run_pytest("-k", "functional")
    assert run.ret == 0, run.stdout()
    syncs, _, raw = _per_step(pytester)["test_functional[PYNATIVE_MODE]"]
    assert syncs > EXPECTED["test_functional"][0], raw[:12]
    assert any(what == "nbytes" and event.startswith("grads_computed") for what, _, _, event in raw), raw[:12]


WRITES = NET_SOURCE + '''

@pytest.mark.both_modes
def test_writes_into_what_it_got_back():
    net = Net()
    out = net(ones(2, 3))
    out[0] = 100.0  # an in-place write into a call's output, before anything is read
    grads = ms.grad(net, None, net.trainable_params())(ones(2, 3))
    grads[0].copy_(grads[0] * 0)  # and into a gradient
    view = net(ones(2, 3))[1]
    view[0] = -1.0  # and through a view of an output
    assert out.asnumpy()[0, 0] == 100.0 and float(grads[0].sum()) == 0.0


@pytest.mark.both_modes
def test_writes_and_parts(request):
    """The look-alike that must still be found: the modes part (a frozen numpy draw), then the test writes."""
    class Noisy(nn.Cell):
        def construct(self, x):
            return x * ms.Tensor(np.random.rand(), ms.float32)

    noisy = Noisy()
    noisy(ones(2, 3))
    out = noisy(ones(2, 3))  # GRAPH_MODE drew once, at compile time: this second call parts
    out[0] = 7.0
    assert out.asnumpy()[0, 0] == 7.0
'''


def test_a_kept_output_is_read_as_the_call_left_it(pytester, run_pytest):
    """Outputs and gradients kept to read later are read before the test writes into them (or a view of them),
    so the eager side records what the call computed, as the graph side does: no finding where the modes agree,
    and the one where they part is still found, on the call it names."""
    pytester.makepyfile(test_writes=WRITES)
    run = run_pytest()
    outcomes = run.outcomes()
    assert outcomes["test_writes.py::test_writes_into_what_it_got_back[GRAPH_MODE]"] == "passed", run.stdout()
    assert outcomes["test_writes.py::test_writes_into_what_it_got_back[PYNATIVE_MODE]"] == "passed", run.stdout()
    found = run.findings("mode_parity")
    assert [f["nodeid"] for f in found] == ["test_writes.py::test_writes_and_parts[GRAPH_MODE]"], found
    assert found[0]["call"] == 2 and found[0]["evidence"] == "host_random", found[0]["message"]
    assert found[0]["difference"]["pynative"] != 7.0, found[0]  # what the call computed, not what the test wrote


UNREADABLE = NET_SOURCE + '''

@pytest.mark.both_modes
def test_raises_after_a_call():
    Net()(ones(2, 3))
    raise AssertionError("the test's own error")


@pytest.mark.both_modes
def test_passes_after_a_call():
    Net()(ones(2, 3))
'''

# What the eager side kept cannot be read (as a PyNative error would surface again at every read).
UNREADABLE_CONFTEST = '''
import pytest


@pytest.fixture(autouse=True)
def _kept_values_unreadable(monkeypatch):
    from pytest_msgraph.checks.builtin.parity import mode_parity
    encoded = mode_parity.encoded

    def unreadable(ms, *args, **kwargs):
        if ms.get_context("mode") == ms.PYNATIVE_MODE:
            raise RuntimeError("the device says no")
        return encoded(ms, *args, **kwargs)

    monkeypatch.setattr(mode_parity, "encoded", unreadable)
'''


def test_a_kept_value_unreadable_after_the_tests_own_error_is_said_not_checked(pytester, run_pytest):
    """In a test that raised, a kept value that cannot be read is the test's own error: the test fails with it,
    and mode_parity says it did not check the values (not a crash). In a test that passed, the same failure is
    mode_parity's crash, reported as one."""
    pytester.makepyfile(test_unreadable=UNREADABLE)
    pytester.makeconftest(UNREADABLE_CONFTEST)
    run = run_pytest()
    outcomes = run.outcomes()
    assert outcomes["test_unreadable.py::test_raises_after_a_call[PYNATIVE_MODE]"] == "failed"
    assert "AssertionError: the test's own error" in run.stdout()
    by_test = {}
    for finding in run.findings("mode_parity"):
        by_test.setdefault(finding["nodeid"].split("::")[1], []).append(finding)
    [unchecked] = by_test["test_raises_after_a_call[PYNATIVE_MODE]"]
    assert not unchecked.get("crashed"), unchecked
    assert unchecked["message"].startswith("mode_parity did not check this test's values: the values it kept could "
                                           "not be read after the test's own error (RuntimeError: the device says no")
    [crash] = by_test["test_passes_after_a_call[PYNATIVE_MODE]"]
    assert crash["crashed"] is True and "crashed in deferred read (RuntimeError" in crash["message"], crash
    assert outcomes["test_unreadable.py::test_passes_after_a_call[PYNATIVE_MODE]"] == "failed"
