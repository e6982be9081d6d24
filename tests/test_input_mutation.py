"""input_mutation in both directions (issue 32): ``x += 1`` reaches the caller in GRAPH_MODE only, an item
write into the caller's list of tensors in PYNATIVE_MODE only; their look-alikes leave the caller alone. When a
write explains a mode difference, the eager side is failed and the argument written named."""
import ast
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from pytest_msgraph.checks.builtin.argument_writes import written_arguments
from pytest_msgraph.core.releases import parse

# ``x += 1`` reaches the caller in GRAPH_MODE from MindSpore 2.8 on; 2.7.2 works on a copy in both modes,
# so there the check must find nothing (read from the metadata: this process never imports MindSpore).
AUGMENTED_WRITES_BACK = (parse(version("mindspore")) or (0,)) >= (2, 8)

CELLS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class AddsInPlace(nn.Cell):
    def construct(self, x):
        x += 1
        return x * 2


class AddsToANewName(nn.Cell):
    def construct(self, x):
        y = x + 1
        return y * 2


class Neck(nn.Cell):
    def construct(self, features):
        for i in range(len(features)):
            features[i] = features[i] * 2
        return features[0] + features[1]


class NeckOnACopy(nn.Cell):
    def construct(self, features):
        features = list(features)
        for i in range(len(features)):
            features[i] = features[i] * 2
        return features[0] + features[1]


class WritesATupleItem(nn.Cell):
    def construct(self, pair):
        first = pair[0]
        first[0] = 5.0
        return first + pair[1]


def ones():
    return Tensor(np.ones(3, np.float32))


@pytest.mark.both_modes
@pytest.mark.parametrize("cell", [AddsInPlace, AddsToANewName])
def test_tensor(cell):
    x = ones()
    cell()(x)


@pytest.mark.both_modes
@pytest.mark.parametrize("cell", [Neck, NeckOnACopy])
def test_list(cell):
    features = [ones(), ones()]
    cell()(features)


@pytest.mark.both_modes
def test_tuple():
    WritesATupleItem()((ones(), ones()))
'''


def test_each_direction_is_found_in_the_mode_that_writes_and_look_alikes_are_not(pytester, run_pytest):
    pytester.makepyfile(test_cells=CELLS)
    run = run_pytest("--ms-check", "input_mutation=warn")
    assert set(run.outcomes().values()) == {"passed"}, run.stdout()
    found = {f["nodeid"]: f for f in run.findings("input_mutation")}
    graph_write = {"test_cells.py::test_tensor[GRAPH_MODE-AddsInPlace]"} if AUGMENTED_WRITES_BACK else set()
    assert set(found) == {"test_cells.py::test_list[PYNATIVE_MODE-Neck]",
                          "test_cells.py::test_tuple[PYNATIVE_MODE]"} | graph_write, found
    tuple_write = found["test_cells.py::test_tuple[PYNATIVE_MODE]"]
    written_at = _line(CELLS, "        first[0] = 5.0")  # the finding is placed at the write, not at the call
    assert tuple_write["message"].startswith(
        f"WritesATupleItem wrote into its argument 0 ('pair[0]') in place in PYNATIVE_MODE at test_cells.py:"
        f"{written_at}, a list or tuple"), tuple_write["message"]
    assert tuple_write["line"] == written_at and tuple_write["path"].endswith("test_cells.py")
    if AUGMENTED_WRITES_BACK:
        graph = found["test_cells.py::test_tensor[GRAPH_MODE-AddsInPlace]"]
        assert graph["mode"] == "GRAPH_MODE" and graph["argument"] == "x"
        assert "Only GRAPH_MODE does this" in graph["message"] and "y = x + 1" in graph["message"]
    eager = found["test_cells.py::test_list[PYNATIVE_MODE-Neck]"]
    assert eager["argument"] == "features" and "a list or tuple of Tensors" in eager["message"]
    assert "Only PYNATIVE_MODE does this" in eager["message"]


def _line(source, text):
    """The 1-based line of ``text`` in a module pytester writes (it drops the leading newline)."""
    return source.lstrip("\n").splitlines().index(text) + 1


SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class WritesLabel(nn.Cell):
    def construct(self, logits, label, label_again):
        target = ops.cast(label, ms.int32)  # the same tensor, eagerly
        target[0] = 100
        return logits.sum() + label_again.sum()


class WritesLabelAgain(nn.Cell):
    def construct(self, logits, label, label_again):
        target = ops.cast(label_again, ms.int32)
        target[0] = 100
        return logits.sum() + label.sum()


class CopiesFirst(nn.Cell):
    def construct(self, logits, label, label_again):
        target = ops.cast(label, ms.int32).copy()
        target[0] = 100
        return logits.sum() + label_again.sum() + target.sum() * 0


def call(cell):
    label = Tensor(np.array([12, 0], np.int32))
    return cell(Tensor(np.ones(2, np.float32)), label, label)


@pytest.mark.both_modes
def test_writes_label():
    call(WritesLabel())


@pytest.mark.both_modes
def test_writes_label_again():
    call(WritesLabelAgain())


@pytest.mark.both_modes
def test_lookalike_copies_first():
    call(CopiesFirst())


class HelperWrites(nn.Cell):
    """mindocr's VisionLANLoss, in short: a method of the loss writes into the cast label."""
    def replace(self, target, target_value=-100):
        target[target == 0] = target_value
        return target

    def construct(self, logits, label, label_again):
        target = self.replace(ops.cast(label, ms.int32))
        return logits.sum() + target.sum() * 0 + label_again.sum()


@pytest.mark.both_modes
def test_a_helper_writes_and_the_test_reads_the_label():
    label = Tensor(np.array([12, 0], np.int32))
    HelperWrites()(Tensor(np.ones(2, np.float32)), label, Tensor(np.array([1, 1], np.int32)))
    assert label.asnumpy().tolist() == [12, 0]


@pytest.mark.both_modes
def test_a_helper_writes_and_the_test_fails_on_something_else():
    label = Tensor(np.array([12, 0], np.int32))
    HelperWrites()(Tensor(np.ones(2, np.float32)), label, Tensor(np.array([1, 1], np.int32)))
    assert ms.get_context("mode") == ms.GRAPH_MODE  # one-sided, and it reads no written tensor
'''


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_write_into_an_input_fails_the_eager_side_and_names_the_argument(pytester, run_pytest, xdist):
    pytester.makepyfile(test_suite=SUITE)
    run = run_pytest(*xdist)
    outcomes = {k.split("::")[1]: v for k, v in run.outcomes().items()}
    assert outcomes == {"test_writes_label[PYNATIVE_MODE]": "failed", "test_writes_label[GRAPH_MODE]": "passed",
                        "test_writes_label_again[PYNATIVE_MODE]": "failed",
                        "test_writes_label_again[GRAPH_MODE]": "passed",
                        "test_lookalike_copies_first[PYNATIVE_MODE]": "passed",
                        "test_lookalike_copies_first[GRAPH_MODE]": "passed",
                        "test_a_helper_writes_and_the_test_reads_the_label[PYNATIVE_MODE]": "failed",
                        "test_a_helper_writes_and_the_test_reads_the_label[GRAPH_MODE]": "passed",
                        "test_a_helper_writes_and_the_test_fails_on_something_else[PYNATIVE_MODE]": "failed",
                        "test_a_helper_writes_and_the_test_fails_on_something_else[GRAPH_MODE]": "passed"}, \
        run.stdout()[-3000:]
    parity = {f["nodeid"].split("::")[1]: f for f in run.findings("mode_parity")}
    assert set(parity) == {"test_writes_label[PYNATIVE_MODE]", "test_writes_label_again[PYNATIVE_MODE]",
                           "test_a_helper_writes_and_the_test_reads_the_label[PYNATIVE_MODE]",
                           "test_a_helper_writes_and_the_test_fails_on_something_else[PYNATIVE_MODE]"}
    # The look-alike: the same write, but the failing line reads no written tensor: no cause is claimed.
    elsewhere = parity["test_a_helper_writes_and_the_test_fails_on_something_else[PYNATIVE_MODE]"]
    assert elsewhere.get("rule") != "input_mutation" and "No known semantic difference" in elsewhere["fix"], elsewhere
    # The one-sided failure is the write's doing, which input_mutation saw; placed at the helper's write.
    helper = parity["test_a_helper_writes_and_the_test_reads_the_label[PYNATIVE_MODE]"]
    in_helper = _line(SUITE, "        target[target == 0] = target_value")
    assert helper["rule"] == "input_mutation" and helper["line"] == in_helper, helper
    assert (f"Cause: input_mutation saw HelperWrites wrote into its argument 1 ('label') at test_suite.py:{in_helper} "
            "in PYNATIVE_MODE only") in helper["message"], helper["message"]
    write = _line(SUITE, "        target[0] = 100")
    assert "PYNATIVE_MODE wrote into a tensor its caller passed (WritesLabel wrote into its argument 1 ('label') at " \
           f"test_suite.py:{write}; see input_mutation)" in parity["test_writes_label[PYNATIVE_MODE]"]["message"]
    # The eager write is proven the cause (the eager re-run on unwritten copies gives GRAPH_MODE's values), and the
    # finding is placed at it.
    assert parity["test_writes_label[PYNATIVE_MODE]"]["evidence"] == "eager_write"
    assert parity["test_writes_label[PYNATIVE_MODE]"]["line"] == write
    assert "Usual causes" not in parity["test_writes_label[PYNATIVE_MODE]"]["message"]
    writes = {f["nodeid"].split("::")[1]: f for f in run.findings("input_mutation")}
    assert len(run.findings("input_mutation")) == 4  # one per write, not one per name the tensor was passed as
    first, second = writes["test_writes_label[PYNATIVE_MODE]"], writes["test_writes_label_again[PYNATIVE_MODE]"]
    assert (first["argument"], first["aliases"]) == ("label", ["label_again"])
    assert (second["argument"], second["aliases"]) == ("label_again", ["label"])
    assert "The caller passed the same tensor as 'label_again' too." in first["message"]


# --- checks.builtin.argument_writes, pure ---------------------------------------------------------


@pytest.mark.parametrize("body, written", [
    ("label_again[0] = 1", {"label_again"}),
    ("label_again[0] += 1", {"label_again"}),
    ("target = ops.cast(label_again, ms.int32)\n    target[0] = 1", {"label_again"}),
    ("ops.cast(label_again, ms.int32)[0] = 1", {"label_again"}),
    ("label_again += 1", {"label_again"}),
    ("label_again.fill_(0)", {"label_again"}),
    ("target = label_again.astype(ms.int32)\n    target.fill_(0)", {"label_again"}),
    # Look-alikes: reads, rebinds and writes into what no argument carries.
    ("target = label * 2", set()),
    ("logits = logits + 1", set()),
    ("total = logits.sum()\n    total += 1", set()),
    ("buffer = ops.zeros((2,))\n    buffer[0] = 1", set()),
    ("ops.zeros((2,))[0] = 1", set()),
])
def test_which_argument_construct_writes_through(body, written):
    source = f"def construct(self, logits, label, label_again):\n    {body}\n    return logits\n"
    assert written_arguments(ast.parse(source).body[0]) == written


class _VisionLANLike:
    """mindocr's VisionLANLoss, in short: construct casts the label (the same tensor when it is int32 already) and
    hands it to a method that writes into it. Read as source only: nothing here runs."""

    def replace_label(self, target, length, target_value=-100):
        mask = target != 0
        target[~mask] = target_value
        return target

    def copy_then_replace(self, target, length):
        kept = target.copy()
        return kept

    @staticmethod
    def fill(first, second):
        second[0] = 1  # writes its second parameter: a static method has no self to skip
        return first

    def construct(self, predicts, label, label_length, other):
        target = label.astype("int32")
        target = self.replace_label(target, label_length)
        self.copy_then_replace(other, label_length)  # the look-alike: reads only
        self.fill(predicts, label_length.copy())  # not followed: never blamed on predicts, the first argument
        return predicts


def test_a_write_made_in_a_method_construct_hands_the_label_to_is_placed_at_that_methods_line():
    import inspect

    from pytest_msgraph.checks.builtin.argument_writes import written_where

    found = written_where(_VisionLANLike.construct, _VisionLANLike)
    lines, first = inspect.getsourcelines(_VisionLANLike.replace_label)
    write = first + next(i for i, line in enumerate(lines) if "target[~mask]" in line)
    assert found == {"label": (__file__, write)}, found
    assert written_where(_VisionLANLike.construct) == {}  # without the class, construct alone writes nothing


# Built and run on every tested release (LARS and Lamb raise on the CPU build; OptTFTWrapper needs MindIO).
CORE_OPTIMIZERS = {"Adam", "AdamWeightDecay", "Adagrad", "FTRL", "Momentum", "RMSProp", "SGD"}


@pytest.mark.parametrize("mode", ["GRAPH_MODE", "PYNATIVE_MODE"])
def test_mindspores_own_optimizers_leave_their_gradients_as_they_were(mode):
    """input_mutation skips the inputs of MindSpore's own optimizers (reading them would stall PyNative between
    the backward and the optimizer). Measured without the plugin, per optimizer class: the gradients' values
    after ``opt(grads)`` are the ones before."""
    script = Path(__file__).parent / "data" / "optimizer_writes.py"
    done = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["written"] == [], result
    assert CORE_OPTIMIZERS <= set(result["checked"]), result["not_built"]
