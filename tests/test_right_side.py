"""When a write into an input explains a mode difference: the eager side is failed, and the argument written named."""
import pytest

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
                        "test_lookalike_copies_first[GRAPH_MODE]": "passed"}, run.stdout()[-3000:]
    parity = {f["nodeid"].split("::")[1]: f for f in run.findings("mode_parity")}
    assert set(parity) == {"test_writes_label[PYNATIVE_MODE]", "test_writes_label_again[PYNATIVE_MODE]"}
    assert "PYNATIVE_MODE wrote into a tensor its caller passed (WritesLabel wrote into its argument 1 ('label'); " \
           "see input_mutation)" in parity["test_writes_label[PYNATIVE_MODE]"]["message"]
    assert "Usual causes" not in parity["test_writes_label[PYNATIVE_MODE]"]["message"]
    writes = {f["nodeid"].split("::")[1]: f for f in run.findings("input_mutation")}
    assert len(run.findings("input_mutation")) == 2  # one per write, not one per name the tensor was passed as
    first, second = writes["test_writes_label[PYNATIVE_MODE]"], writes["test_writes_label_again[PYNATIVE_MODE]"]
    assert (first["argument"], first["aliases"]) == ("label", ["label_again"])
    assert (second["argument"], second["aliases"]) == ("label_again", ["label"])
    assert "The caller passed the same tensor as 'label_again' too." in first["message"]
