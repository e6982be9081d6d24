"""mode_parity's pair verdict: one variant raises, its twin passes; the cause when a known difference explains it."""
import pytest
from conftest import TRY_CELL_SOURCE

from pytest_msgraph.matrix import build_matrix

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor


class DetectionLoss(nn.Cell):
    def construct(self, r):
        return (r.max(2) < 4.0).sum()


''' + TRY_CELL_SOURCE + '''

class Plain(nn.Cell):
    def construct(self, x):
        return x * 2


def only_in_graph(x):
    if ms.get_context("mode") == ms.GRAPH_MODE:
        raise ValueError("graph-only check failed")
    return x


X = Tensor(np.ones((2, 3, 4), np.float32))


@pytest.mark.both_modes
def test_positional_max_fails_eagerly():
    DetectionLoss()(X)


@pytest.mark.both_modes
def test_try_fails_to_compile_inside_a_grad_call():
    net = TryNet()

    def loss(x):
        return net(x).sum()

    ms.grad(loss)(X)


@pytest.mark.both_modes
def test_a_reason_the_plugin_does_not_know():
    only_in_graph(X)


@pytest.mark.both_modes
def test_lookalike_both_raise():
    Plain()(X)
    raise AssertionError("wrong in both modes")


class Noisy(nn.Cell):
    def construct(self, x):
        return x + Tensor(np.random.randn(*x.shape).astype(np.float32))


@pytest.mark.both_modes
def test_lookalike_a_difference_explains_the_raise():
    net = Noisy()
    assert not np.array_equal(net(X).asnumpy(), net(X).asnumpy())


@pytest.mark.both_modes
def test_lookalike_both_pass():
    (X.max(axis=2) < 4.0).sum()
    Plain()(X)


@pytest.mark.both_modes
def test_lookalike_the_eager_side_skips():
    if ms.get_context("mode") == ms.PYNATIVE_MODE:
        pytest.skip("checked in GRAPH_MODE only")
    raise ValueError("fails where the eager side checked nothing")
'''


def _line(code):
    """The line of ``code`` in test_suite.py (pytester drops the leading newline)."""
    return SUITE.lstrip("\n").splitlines().index(code) + 1


def _verdicts(run):
    return {f["nodeid"].split("::")[1]: f for f in run.findings("mode_parity") if f.get("failing_mode")}


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(test_suite=SUITE)


def test_one_sided_failures_get_a_verdict_with_their_cause(suite, pytester, run_pytest):
    run = run_pytest("--junitxml=junit.xml", "--ms-annotations=github")
    found = _verdicts(run)
    assert set(found) == {"test_positional_max_fails_eagerly[PYNATIVE_MODE]",
                          "test_try_fails_to_compile_inside_a_grad_call[GRAPH_MODE]",
                          "test_a_reason_the_plugin_does_not_know[GRAPH_MODE]"}, found
    eager = found["test_positional_max_fails_eagerly[PYNATIVE_MODE]"]
    assert eager["mode"] == "PYNATIVE_MODE" and eager["rule"] == "MSG009"
    assert eager["message"].startswith("PYNATIVE_MODE raises where GRAPH_MODE passes: TypeError: '<' not supported "
                                       f"between instances of 'tuple' and 'float' at test_suite.py:{_line('        return (r.max(2) < 4.0).sum()')} "
                                       "(`return (r.max(2) < 4.0).sum()`). Cause: ")
    assert "positional axis" in eager["cause"] and "axis=k" in eager["fix"]
    graph = found["test_try_fails_to_compile_inside_a_grad_call[GRAPH_MODE]"]
    try_line, call_line = _line("        try:"), _line("        return net(x).sum()")
    assert graph["rule"] == "MSG001" and graph["message"].startswith(
        f"GRAPH_MODE fails to compile where PYNATIVE_MODE passes: RuntimeError: Unsupported statement 'Try' at "
        f"test_suite.py:{try_line} (`try:`), compiled from test_suite.py:{call_line}. Cause: try/except")
    unknown = found["test_a_reason_the_plugin_does_not_know[GRAPH_MODE]"]
    assert "cause" not in unknown and "Cause:" not in unknown["message"]
    raise_line = _line('        raise ValueError("graph-only check failed")')
    assert f"ValueError: graph-only check failed at test_suite.py:{raise_line}" in unknown["message"]
    assert "GRAPH_MODE ValueError: graph-only check failed, PYNATIVE_MODE passed" in unknown["fix"]
    # No echo: the frozen noise's difference is the finding of the test that asserts on it, not a causeless verdict.
    [noise] = [f for f in run.findings("mode_parity") if "a_difference_explains" in f["nodeid"]]
    assert noise["message"].startswith("Noisy call 2, output: GRAPH_MODE differs")
    # No echo: the compile failure inside the grad call is the finding, not "different paths".
    assert not [f for f in run.findings("mode_parity") if "different paths" in f["message"]]
    # Outcomes unchanged: the failing variants fail, their twins and both look-alikes keep theirs.
    outcomes = {k.split("::")[1]: v for k, v in run.outcomes().items()}
    assert outcomes["test_positional_max_fails_eagerly[GRAPH_MODE]"] == "passed"
    assert outcomes["test_positional_max_fails_eagerly[PYNATIVE_MODE]"] == "failed"
    assert outcomes["test_lookalike_both_pass[GRAPH_MODE]"] == outcomes["test_lookalike_both_pass[PYNATIVE_MODE]"] \
        == "passed"
    assert run.ret == 1
    # JUnit and the annotation on the failing line.
    out = run.stdout()
    for line in (_line("        return (r.max(2) < 4.0).sum()"), try_line, raise_line):
        assert f"::error file=test_suite.py,line={line},title=" in out
    junit = (pytester.path / "junit.xml").read_text()
    assert "PYNATIVE_MODE raises where GRAPH_MODE passes: TypeError" in junit
    rows = {r["test"]: r["cells"] for r in build_matrix([run.report])["rows"]}
    cell = rows["test_suite.py::test_positional_max_fails_eagerly"]["CPU PYNATIVE_MODE"]
    assert cell["outcome"] == "failed" and cell["checks"] == ["mode_parity"]


def test_the_verdict_is_the_same_under_xdist(suite, run_pytest):
    serial = run_pytest()
    parallel = run_pytest("-n", "2")
    assert parallel.outcomes() == serial.outcomes()
    assert parallel.ret == serial.ret == 1
    assert {k: v["message"] for k, v in _verdicts(parallel).items()} == \
        {k: v["message"] for k, v in _verdicts(serial).items()}


def test_the_verdict_needs_exactly_one_side_raising():
    from pytest_msgraph.checks.builtin.parity.outcomes import one_sided

    raised = {"error": "TypeError: x", "where": "t.py:3", "path": "/p/t.py", "line": 3}
    side = {None: {"header": {}}, "raised": {"header": {"raised": raised}}}
    assert one_sided(side[None], side[None]) is None  # both passed
    assert one_sided(side["raised"], side["raised"]) is None  # both raised: nothing one-sided
    graph = one_sided(side["raised"], side[None])
    eager = one_sided(side[None], side["raised"])
    assert (graph["side"], eager["side"]) == ("GRAPH_MODE", "PYNATIVE_MODE")
    assert graph["message"] == "GRAPH_MODE raises where PYNATIVE_MODE passes: TypeError: x at t.py:3."
    assert (eager["details"]["path"], eager["details"]["line"]) == ("/p/t.py", 3)
    # A side that skipped, xfailed or was interrupted checked nothing: no verdict rests on it.
    skipped = {"header": {"raised": {"skipped": True}}}
    assert one_sided(side["raised"], skipped) is None and one_sided(skipped, side["raised"]) is None
