"""input_mutation in both directions (issue 32): ``x += 1`` reaches the caller in GRAPH_MODE only, an item
write into the caller's list of tensors in PYNATIVE_MODE only; their look-alikes leave the caller alone."""
from importlib.metadata import version

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
    assert found["test_cells.py::test_tuple[PYNATIVE_MODE]"]["message"].startswith(
        "WritesATupleItem wrote into its argument 0 ('pair[0]') in place in PYNATIVE_MODE, a list or tuple")
    if AUGMENTED_WRITES_BACK:
        graph = found["test_cells.py::test_tensor[GRAPH_MODE-AddsInPlace]"]
        assert graph["mode"] == "GRAPH_MODE" and graph["argument"] == "x"
        assert "Only GRAPH_MODE does this" in graph["message"] and "y = x + 1" in graph["message"]
    eager = found["test_cells.py::test_list[PYNATIVE_MODE-Neck]"]
    assert eager["argument"] == "features" and "a list or tuple of Tensors" in eager["message"]
    assert "Only PYNATIVE_MODE does this" in eager["message"]
