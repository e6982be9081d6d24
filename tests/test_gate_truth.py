"""Green gates that tell the truth (issue 29): annotations by outcome, ms_gradcheck's ok, check_init on
small parameters, node ids whatever the spelling of a path option. Real MindSpore, in subprocesses."""
import re

from conftest import NET_SOURCE, skip_without

# --- item 6: annotations tell the truth about the outcome ------------------------------------------

ANNOTATED = NET_SOURCE + '''

NET = Net()
X = ones(2, 3)


def forward_then_grad():
    NET(X)
    ops.GradOperation(get_by_list=True)(NET, NET.trainable_params())(X)


@pytest.mark.xfail(strict=True, reason="demonstrates a double forward")
def test_demonstrates_the_bug():
    forward_then_grad()


def test_has_the_bug():  # the look-alike: the same finding, not expected, is an error
    forward_then_grad()


@pytest.mark.xfail(strict=True, reason="a bug since fixed")
def test_fixed_bug():
    assert NET(X).shape == (2, 2)
'''
ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")


def _annotations(run):
    return [ANNOTATION.match(line).groups() for line in run.stdout().splitlines() if line.startswith("::")]


def test_annotations_follow_the_outcome_and_githubs_workspace(pytester, run_pytest, monkeypatch):
    pytester.makepyfile(test_annotated=ANNOTATED)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path.parent))  # the project is a subfolder of its repo
    folder = pytester.path.name
    serial = run_pytest("--ms-annotations=github")
    assert serial.outcomes() == {"test_annotated.py::test_demonstrates_the_bug": "xfailed",
                                 "test_annotated.py::test_fixed_bug": "failed",
                                 "test_annotated.py::test_has_the_bug": "failed"}
    found = {(kind, title.split("%3A%3A")[-1].split(" ")[0]): (path, message)
             for kind, path, _, title, message in _annotations(serial)}
    assert set(found) == {("notice", "test_demonstrates_the_bug"), ("error", "test_has_the_bug"),
                          ("error", "test_fixed_bug")}, serial.stdout()
    assert found["notice", "test_demonstrates_the_bug"][1].endswith("(expected: the test is marked xfail)")
    assert found["error", "test_has_the_bug"][1].startswith("[double_forward]")
    assert found["error", "test_fixed_bug"][1].startswith("[xfail strict] [XPASS(strict)] a bug since fixed: the "
                                                          "test passed though marked xfail(strict=True)")
    assert {path for path, _ in found.values()} == {f"{folder}/test_annotated.py"}
    parallel = run_pytest("--ms-annotations=github", "-n", "2")
    assert _annotations(parallel) == _annotations(serial)
    monkeypatch.delenv("GITHUB_WORKSPACE")  # not on GitHub: paths from the rootdir, as before
    assert {a[1] for a in _annotations(run_pytest("--ms-annotations=github"))} == {"test_annotated.py"}


# --- item 4: check_init on small parameters, and parameters without a counterpart -----------------

SMALL_INIT = '''
import pytest
import mindspore as ms
import torch
from mindspore import nn

SMALL = {
    "dense_64_1": (lambda: nn.Dense(64, 1), lambda: torch.nn.Linear(64, 1)),
    "dense_2_1": (lambda: nn.Dense(2, 1), lambda: torch.nn.Linear(2, 1)),
    "conv_1x1": (lambda: nn.Conv2d(1, 1, 1, has_bias=True), lambda: torch.nn.Conv2d(1, 1, 1)),
    "conv_bias": (lambda: nn.Conv2d(3, 8, 3, has_bias=True), lambda: torch.nn.Conv2d(3, 8, 3)),
}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("layer", sorted(SMALL))
def test_small_parameters_that_agree(torch_parity, layer, seed):
    ms.set_seed(seed)
    torch.manual_seed(seed)
    ms_build, torch_build = SMALL[layer]
    result = torch_parity.check_init(ms_build(), torch_build())
    assert result.ok and not result.unchecked, result.compared
    assert "bounds" in {entry["compared_by"] for entry in result.compared}


@pytest.mark.xfail(strict=True, reason="a 1-element bias of ones lies outside PyTorch's U(-0.707, 0.707)")
def test_small_bias_out_of_range(torch_parity):
    assert torch_parity.check_init(nn.Dense(2, 1, bias_init="ones"), torch.nn.Linear(2, 1)).ok


@pytest.mark.xfail(strict=True, reason="MindSpore's Conv2d has no bias by default, PyTorch's has one")
def test_conv_without_bias(torch_parity):
    assert torch_parity.check_init(nn.Conv2d(3, 8, 3), torch.nn.Conv2d(3, 8, 3)).ok


@pytest.mark.xfail(strict=True, reason="MindSpore's Dense has a bias, this Linear none")
def test_dense_with_a_bias_linear_without(torch_parity):
    assert torch_parity.check_init(nn.Dense(3, 2), torch.nn.Linear(3, 2, bias=False)).ok
'''


def test_check_init_bounds_small_parameters_and_flags_a_missing_bias(pytester, run_pytest):
    skip_without("torch", "check_init compares with PyTorch: pip install 'pytest-msgraph[torch]'")
    pytester.makepyfile(test_small_init=SMALL_INIT)
    run = run_pytest()
    outcomes = run.outcomes()
    assert [n for n, o in outcomes.items() if o != "passed"] == [
        "test_small_init.py::test_conv_without_bias", "test_small_init.py::test_dense_with_a_bias_linear_without",
        "test_small_init.py::test_small_bias_out_of_range"], run.stdout()
    assert set(outcomes.values()) == {"passed", "xfailed"}, run.stdout()
    found = {f["nodeid"].split("::")[1]: f["message"] for f in run.findings("torch_parity")}
    assert "bias (8,) has no counterpart in the MindSpore cell" in found["test_conv_without_bias"]
    assert "Fix: build the MindSpore layer with has_bias=True" in found["test_conv_without_bias"]
    assert "has_bias=False" in found["test_dense_with_a_bias_linear_without"]
    assert "1 of 1 value(s) outside PyTorch's range [-0.7071, 0.7071] (such as 1)" in found[
        "test_small_bias_out_of_range"]
    assert len(found) == 3
