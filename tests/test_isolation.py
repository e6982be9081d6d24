"""Context isolation, the context_leak check, and graph compile failures (MindSpore's message parsed, pure)."""

from pytest_msgraph.mindspore_side.compile_errors import construct_locations, headline, is_compile_error

# A cell GRAPH_MODE cannot compile: try/except in construct.
TRY_CELL = '''import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


class TryCell(nn.Cell):
    def construct(self, x):
        try:
            y = x + 1
        except Exception:
            y = x
        return y
'''


def test_a_test_that_leaks_graph_mode_does_not_change_the_next_test(pytester, run_pytest):
    pytester.makepyfile('''
import mindspore as ms

def test_leaks():
    ms.set_context(mode=ms.GRAPH_MODE, jit_config={"jit_level": "O1"}, max_call_depth=77)

def test_next():
    assert ms.get_context("mode") == ms.PYNATIVE_MODE
    assert ms.get_context("max_call_depth") == 1000
    assert ms.get_context("jit_level") == ""
    assert ms.get_context("jit_config") == {}
''')
    run = run_pytest()
    assert run.outcomes() == {
        "test_a_test_that_leaks_graph_mode_does_not_change_the_next_test.py::test_leaks": "passed",
        "test_a_test_that_leaks_graph_mode_does_not_change_the_next_test.py::test_next": "passed",
    }
    [leak] = run.findings("context_leak")
    assert leak["nodeid"].endswith("::test_leaks")
    assert leak["severity"] == "warn"
    assert "mode=GRAPH_MODE (was PYNATIVE_MODE)" in leak["message"]
    assert "max_call_depth=77 (was 1000)" in leak["message"]
    assert "use @pytest.mark.both_modes" in leak["message"]
    assert run.report["examined"]["context_leak"] == {"tests": 2}
    run.result.stdout.fnmatch_lines(["*MsGraphWarning: [[]context_leak[]] a finding: what and the fix are in the msgraph*",
                                     "*WARN *::test_leaks (GRAPH_MODE): test left the MindSpore context changed*"])


def test_a_fixture_that_restores_what_it_changed_is_not_a_leak(pytester, run_pytest):
    pytester.makepyfile('''
import pytest
import mindspore as ms

@pytest.fixture
def strict_syntax():
    ms.set_context(jit_syntax_level=ms.STRICT)
    yield
    ms.set_context(jit_syntax_level=ms.LAX)

@pytest.mark.both_modes
def test_uses_it(strict_syntax):
    assert ms.get_context("jit_syntax_level") == ms.STRICT
''')
    run = run_pytest()
    assert set(run.outcomes().values()) == {"passed"}
    assert run.findings() == []


def test_graph_compile_failure_puts_mindsporemessage_first_and_artifacts_in_tmp(pytester, run_pytest, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # keep the short summary line whole
    pytester.makepyfile(TRY_CELL + '''
@pytest.mark.both_modes
def test_try():
    TryCell()(ms.Tensor(np.ones(2, np.float32)))
''')
    run = run_pytest("-rf")
    assert run.outcomes() == {
        "test_graph_compile_failure_puts_mindsporemessage_first_and_artifacts_in_tmp.py::test_try[GRAPH_MODE]": "failed",
        "test_graph_compile_failure_puts_mindsporemessage_first_and_artifacts_in_tmp.py::test_try[PYNATIVE_MODE]": "passed",
    }
    out = run.stdout()
    header = out.index("msgraph: GRAPH_MODE compile failed: RuntimeError: Unsupported statement 'Try'.")
    assert header < out.index("def test_try():"), "the message must come before the traceback"
    try_line = TRY_CELL.splitlines().index("        try:") + 1
    assert (f"test_graph_compile_failure_puts_mindsporemessage_first_and_artifacts_in_tmp.py:"
            f"{try_line}~{try_line + 3}, 8~17: try:") in out
    run.result.stdout.fnmatch_lines([
        "*compiler report: *msgraph-compile*rank_0/om/analyze_fail.ir",
        "FAILED *test_try[[]GRAPH_MODE[]] - GRAPH_MODE compile failed: RuntimeError: Unsupported statement 'Try'.*",
    ])
    assert not (pytester.path / "rank_0").exists()


def test_users_own_ms_om_path_is_respected(pytester, run_pytest, monkeypatch):
    target = pytester.path / "my-ir"
    monkeypatch.setenv("MS_OM_PATH", str(target))
    pytester.makepyfile(TRY_CELL + '''
import os


def test_try():
    with open("seen.txt", "w") as seen:
        seen.write(os.environ.get("MS_OM_PATH", ""))  # what the test sees, after the plugin's setup
    ms.set_context(mode=ms.GRAPH_MODE)
    TryCell()(ms.Tensor(np.ones(2, np.float32)))
''')
    run = run_pytest()
    assert list(run.outcomes().values()) == ["failed"]
    assert (target / "rank_0" / "om" / "analyze_fail.ir").exists()
    assert (pytester.path / "seen.txt").read_text() == str(target)


MS_ERROR = """Unsupported statement 'Try'.
More details please refer to syntax support at https://www.mindspore.cn

----------------------------------------------------
- The Traceback of Net Construct Code:
----------------------------------------------------

# In file /src/net.py:9~14, 4~16
    def construct(self, x):
    ^

# In file /src/net.py:10~13, 8~17
        try:
"""


def test_compile_error_parsing():
    exc = RuntimeError(MS_ERROR)
    assert is_compile_error(exc)
    assert not is_compile_error(RuntimeError("shape mismatch"))
    assert headline(exc) == "Unsupported statement 'Try'."
    assert construct_locations(exc) == [
        "/src/net.py:9~14, 4~16: def construct(self, x):",
        "/src/net.py:10~13, 8~17: try:",
    ]


# MindSpore 2.10's wording of a failed type inference: numbered frames, MindSpore's own among them.
MS_210_ERROR = """For 'MatMulExt' op, shape1[-1] must be equal to shape2[-2], but got 3 and 2.

----------------------------------------------------
- The Traceback of Net Construct Code:
----------------------------------------------------
# 0 In file /src/net.py:16, 15~28
        return self.inner(y)
               ^~~~~~~~~~~~~
# 1 In file /src/net.py:8, 15~31
        return ops.matmul(x, x)
               ^~~~~~~~~~~~~~~~
# 2 In file /venv/site-packages/mindspore/ops/function/math_func.py:8724, 11~49
    return auto_generate.matmul_ext(input, other)
 (See file '/tmp/rank_0/om/analyze_fail.ir' for more details.)
"""


def test_compile_error_parsing_of_mindspore_2_10_numbered_frames():
    exc = RuntimeError(MS_210_ERROR)
    assert is_compile_error(exc)
    assert construct_locations(exc, internal="/venv/site-packages/mindspore") == [
        "/src/net.py:16, 15~28: return self.inner(y)",
        "/src/net.py:8, 15~31: return ops.matmul(x, x)",
    ]
