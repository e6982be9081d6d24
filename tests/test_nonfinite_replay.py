"""Where non-finite values start (issue 39): the replays keep, for a repro, the inputs and weights of the candidate
places only (a place is found when a replay shows one an earlier replay showed, so the first replay keeps nothing and
a later one keeps the places seen before, never every sub-cell of the network); and the weights the step started
from are kept for a network of any size, on disk beyond 16 MiB (mindocr's CRNN-R34 has 93 MiB)."""
import json
import subprocess
import sys
from pathlib import Path

LOCATE = '''
import contextlib, json, types
import numpy as np
import mindspore as ms
from mindspore import nn, ops
from pytest_msgraph.checks.builtin.parity import nonfinite

ms.set_context(mode=ms.PYNATIVE_MODE)


class Root(nn.Cell):
    """sqrt at 0: a finite forward, and a NaN input gradient made in this cell's backward."""
    def construct(self, y):
        return ops.sqrt(ops.square(y) * 0.0).sum()


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.c, self.root = nn.Dense(4, 4), nn.Dense(4, 4), nn.Dense(4, 4), Root()

    def construct(self, x):
        return self.root(self.c(self.b(self.a(x))))


net = Net()
trained = list(net.trainable_params())
before = [p.asnumpy().copy() for p in trained]
copies = []
real = nonfinite._copied
nonfinite._copied = lambda value: copies.append(1) or real(value)
grad = ms.grad(net, grad_position=None, weights=trained)
x = ms.Tensor(np.ones((2, 4), np.float32))
subject = []
probes = types.SimpleNamespace(paused=contextlib.nullcontext)
hooks = []  # registering a cell hook, even removed at once, makes 2.7.2 compile a compiled grad again
for name in ("register_forward_hook", "register_backward_hook", "register_forward_pre_hook"):
    real_hook = getattr(nn.Cell, name)
    setattr(nn.Cell, name, lambda self, *a, _real=real_hook, **k: hooks.append(1) or _real(self, *a, **k))
found = nonfinite.locate(ms, probes, [net], lambda: grad(x), trained, before, trained, subject)
print(json.dumps({"phase": found["phase"], "path": found["path"], "runs": found["runs"], "copies": len(copies),
                  "hooks": len(hooks),
                  "subject": type(subject[0]).__name__ if subject else None,
                  "weights": sorted(subject[3]) if subject else None}))
'''


def test_a_replay_keeps_the_candidate_places_values_only(tmp_path):
    script = tmp_path / "locate.py"  # a file: the place is worded with its cell's source line
    script.write_text(LOCATE)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert (found["phase"], found["path"], found["runs"]) == ("backward", "root", 2), found
    assert found["subject"] == "Root" and found["weights"] == [], found  # the repro's subject is still whole
    assert found["hooks"] == 0, found  # gradients caught by ops.HookBackward on the tensors, no cell hook
    # Root's input, output and output gradient in the second replay: a handful of copies. Keeping every sub-cell's
    # values in every replay (5 cells x 2 replays) made about fifty.
    assert found["copies"] <= 8, found


WIDE = '''
import sys
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor

sys.path.insert(0, DATA)
from evidence_suite import Mid  # the fine-tune switch: sqrt at 0 in its backward when on


class Wide(nn.Cell):
    """Over 16 MiB of trained weights (a 2048 x 2048 Dense): the weights before the step go to disk."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Dense(4, 2048)
        self.wide = nn.Dense(2048, 2048)
        self.mid = Mid(2048)
        self.head = nn.Dense(4, 2)

    def construct(self, x):
        return self.head(self.mid(self.wide(self.stem(x))))


def train():
    ms.set_seed(0)
    net = Wide()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.01))
    x, y = Tensor(np.ones((2, 4), np.float32)), Tensor(np.zeros((2, 2), np.float32))
    step.compile(x, y)  # GRAPH_MODE compiles with the switch off; the eager step reads it on
    net.mid.on = True
    step(x, y)
    return sum(int((~np.isfinite(p.asnumpy())).sum()) for p in net.trainable_params())


@pytest.mark.both_modes
def test_switch_flipped_after_compile():
    train()
'''
WIDE = WIDE.replace("sys.path.insert(0, DATA)", f"sys.path.insert(0, {str(Path(__file__).parent / 'data')!r})")

TRUTH = WIDE + '''
import sys
ms.set_context(mode=getattr(ms, sys.argv[1]))
print(sys.argv[1], ms.get_context("mode"), train())
'''


def test_the_truth_without_the_plugin(tmp_path):
    """An explicit compile() freezes the switch off in GRAPH_MODE; the eager step reads it on and goes non-finite.
    compile() in PYNATIVE_MODE leaves the context in PYNATIVE_MODE (1), and the step then runs eagerly."""
    script = tmp_path / "truth.py"
    script.write_text(TRUTH)
    lines = [subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, check=True,
                            timeout=300).stdout.split()[-3:] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")]
    assert lines[0][1:] == ["0", "0"] and lines[1][1] == "1" and int(lines[1][2]) > 0, lines


def test_a_network_over_16_mib_gets_its_nonfinite_start_from_weights_kept_on_disk(pytester, run_pytest,
                                                                                 monkeypatch):
    """mindocr's CRNN-R34 has 93 MiB of trained weights: kept in memory only up to 16 MiB, its non-finite start was
    never looked for. Beyond, they go to a temporary folder, removed at the test's end. And the switch frozen by the
    explicit compile() is the evidence (stale_attribute records the attributes at the compile, not at the first
    call), so the eager variant, which ran its code as written, passes."""
    temp = pytester.path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    pytester.makepyfile(test_wide=WIDE)
    run = run_pytest()
    [step] = [f for f in run.findings("mode_parity") if f.get("step")]
    assert step["nodeid"].endswith("[GRAPH_MODE]") and step["evidence"] == "frozen_attribute", step["message"]
    assert step["nonfinite_start"]["phase"] == "backward" and step["nonfinite_from"] == "mid", step["message"]
    assert [f["attribute"] for f in run.findings("stale_attribute")] == ["on"]
    outcomes = {k.split("::")[1]: v for k, v in run.outcomes().items()}
    assert outcomes["test_switch_flipped_after_compile[PYNATIVE_MODE]"] == "passed", run.stdout()[-2000:]
    assert not [p for p in temp.iterdir() if p.name.startswith("msgraph-weights-")]  # removed at the test's end


COMPILED_LOOKALIKE = f'''
import sys
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor

sys.path.insert(0, {str(Path(__file__).parent / 'data')!r})
from evidence_suite import HeadFirst


def train():
    ms.set_seed(0)
    net = HeadFirst()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.01))
    x, y = Tensor(np.ones((2, 4), np.float32)), Tensor(np.zeros((2, 2), np.float32))
    step.compile(x, y)
    net.mid.on = False  # set again to the value it had: nothing changed since the compile
    net.mid.note = "fine-tune"  # a new attribute construct never reads
    step(x, y)
    return [p.asnumpy().sum() for p in net.trainable_params()]


@pytest.mark.both_modes
def test_nothing_flipped_after_compile():
    train()
'''


def test_attributes_set_after_an_explicit_compile_that_change_nothing_are_no_finding(pytester, run_pytest):
    """The look-alike of the frozen switch above: after step.compile(), the switch is set to the value it had and an
    attribute construct never reads is added. Truth without the plugin: the trained weights are the same in both
    modes (a plain script per mode). With the plugin: no stale_attribute, no mode_parity finding, both pass."""
    truth = pytester.path / "truth.py"
    truth.write_text(COMPILED_LOOKALIKE + "\nms.set_context(mode=getattr(ms, sys.argv[1]))\nprint(train())\n")
    sums = [subprocess.run([sys.executable, str(truth), mode], capture_output=True, text=True, check=True,
                           timeout=300).stdout.strip().splitlines()[-1] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")]
    graph, eager = ([float(v) for v in line.strip("[]").replace("np.float32(", "").replace(")", "").split(",")]
                    for line in sums)
    assert len(graph) == 6 and all(abs(a - b) < 1e-5 for a, b in zip(graph, eager)), sums
    truth.unlink()
    pytester.makepyfile(test_compiled=COMPILED_LOOKALIKE)
    run = run_pytest()
    assert run.findings("stale_attribute") == [] and run.findings("mode_parity") == [], run.findings()
    assert sorted(run.outcomes().values()) == ["passed", "passed"], run.stdout()[-2000:]


def test_a_snapshot_keeps_small_weights_in_memory_and_large_ones_on_disk_until_discarded():
    import numpy as np

    from pytest_msgraph.checks.builtin.parity.snapshot import Snapshot

    class Param:
        def __init__(self, array):
            self.array, self.nbytes = array, array.nbytes

        def asnumpy(self):
            return self.array

    small = [Param(np.arange(6, dtype=np.float32))]
    large = [Param(np.full((2048, 2049), 0.5, np.float32)), Param(np.arange(3, dtype=np.float32))]
    kept = Snapshot(small)
    small[0].array[0] = 99  # the step changes the weights in place: the snapshot holds them as they were
    assert not kept.on_disk and kept.arrays()[0][0] == 0
    spilled = Snapshot(large)
    assert spilled.on_disk and [a.shape for a in spilled.arrays()] == [(2048, 2049), (3,)]
    assert float(spilled.arrays()[0][0, 0]) == 0.5
    folder = spilled._folder
    spilled.discard()
    assert spilled.arrays() is None and not folder.exists()  # its folder is gone: nothing is claimed from it


def test_weights_over_the_disk_cap_are_not_kept_and_the_finding_says_why(monkeypatch):
    from pytest_msgraph.checks.builtin.parity import snapshot

    class Param:
        nbytes = 64 << 20

        def asnumpy(self):
            raise AssertionError("nothing is read of weights that will not be kept")

    monkeypatch.setattr(snapshot, "ON_DISK", 32 << 20)
    over = snapshot.Snapshot([Param()])
    assert over.arrays() is None and not over.on_disk
    assert over.why.startswith("not written to a temporary folder: 64 MiB, over the 32 MiB cap"), over.why
    assert snapshot.not_kept(0, over) == f"the weights before the first step were {over.why}"
    assert "compared by summary" in snapshot.not_kept(2, None)


FUNCTIONAL = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class SwitchLoss(nn.Cell):
    """A loss with no sub-cells whose fine-tune switch turns on sqrt at 0: its own backward makes NaN."""
    def __init__(self):
        super().__init__()
        self.on = False

    def construct(self, pred, y):
        d = pred - y
        if self.on:
            d = ops.sqrt(ops.square(d) * ops.zeros_like(d))
        return (d * d).mean()


def train(flip):
    ms.set_seed(0)
    net, loss_fn = nn.Dense(4, 2), SwitchLoss()
    opt = nn.SGD(net.trainable_params(), 0.01)

    def forward(x, y):  # the functional style: the model and the loss are both called from a function
        return loss_fn(net(x), y)

    grad_fn = ms.value_and_grad(forward, None, opt.parameters)
    x, y = Tensor(np.ones((2, 4), np.float32)), Tensor(np.zeros((2, 2), np.float32))
    for step in range(2):
        if step == 1:
            loss_fn.on = flip
        loss, grads = grad_fn(x, y)
        opt(grads)
    return sum(int((~np.isfinite(p.asnumpy())).sum()) for p in net.trainable_params())


@pytest.mark.both_modes
def test_loss_switch_flipped():
    train(True)


@pytest.mark.both_modes
def test_loss_switch_lookalike():
    train(False)
'''


def test_a_functional_step_whose_loss_makes_the_nans_names_the_loss(pytester, run_pytest, tmp_path):
    """value_and_grad of a function calling the model, then the loss: both are called from the function, not from a
    Cell. The loss's switch, flipped after GRAPH_MODE compiled, turns on sqrt at 0 in PYNATIVE_MODE only, and the
    loss's own backward makes the NaN. The replay watches the function's own Cell calls too and names the loss (the
    top-level calls were not watched: "in no sub-cell call"). Truth by a plain script per mode; the look-alike, the
    switch left off, gives no finding."""
    script = tmp_path / "truth.py"
    script.write_text(FUNCTIONAL + "\nimport sys\nms.set_context(mode=getattr(ms, sys.argv[1]))\n"
                                   "print(train(True), train(False))\n")
    counts = [subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, check=True,
                             timeout=300).stdout.split()[-2:] for mode in ("GRAPH_MODE", "PYNATIVE_MODE")]
    assert counts[0] == ["0", "0"] and int(counts[1][0]) > 0 and counts[1][1] == "0", counts
    pytester.makepyfile(test_functional=FUNCTIONAL)
    run = run_pytest()
    [step] = [f for f in run.findings("mode_parity") if f.get("step")]
    assert "lookalike" not in step["nodeid"] and step["evidence"] == "frozen_attribute", step["message"]
    start = step["nonfinite_start"]
    assert (start["phase"], start["path"], start["cell"]) == ("backward", "", "SwitchLoss"), step["message"]
    assert "Non-finite values start in the backward of SwitchLoss's own code (SwitchLoss, construct at " \
           "test_functional.py:" in step["message"], step["message"]
    assert not [f for f in run.findings() if "lookalike" in f["nodeid"]]
