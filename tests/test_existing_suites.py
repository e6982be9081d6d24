"""MindSpore's own tests under the plugin: the same outcomes as without it, unless asked (issue 15)."""
import pytest

# MindSpore's tests/st/utils/test_utils.py sets STRICT when imported; its tests depend on it.
STRICT_HELPER = '''
import mindspore as ms
ms.set_context(jit_syntax_level=ms.STRICT)
'''

STRICT_TESTS = '''
import mindspore as ms
import st_utils


def test_one():
    assert ms.get_context("jit_syntax_level") == ms.STRICT


def test_two():
    assert ms.get_context("jit_syntax_level") == ms.STRICT
'''


@pytest.fixture
def strict_suite(pytester):
    pytester.makeconftest("import mindspore\n")  # imported before the test module, as in MindSpore's tree
    pytester.makepyfile(st_utils=STRICT_HELPER, test_strict=STRICT_TESTS)


@pytest.mark.parametrize("args", [[], ["--ms-seed=0"], ["--ms-device=CPU"], ["-n", "2", "--ms-seed=0"]])
def test_a_context_set_at_import_holds_for_every_test_whatever_the_options(strict_suite, run_pytest, args):
    run = run_pytest(*args)
    assert run.ret == 0, run.stdout()
    assert set(run.outcomes().values()) == {"passed"}


def test_without_the_plugin_too(strict_suite, pytester):
    result = pytester.runpytest_subprocess("-p", "no:msgraph", "-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_change_at_import_is_reported_once_naming_the_module_and_keys(strict_suite, run_pytest):
    for run in (run_pytest(), run_pytest("-n", "2")):
        [finding] = [f for f in run.findings("context_leak")]
        assert finding["nodeid"] == "test_strict.py" and finding["keys"] == ["jit_syntax_level"]
        assert finding["at"] == "collection"
        assert "module test_strict.py changed the MindSpore context while it was imported" in finding["message"]


def test_a_module_that_changes_nothing_is_not_reported(pytester, run_pytest):
    pytester.makeconftest("import mindspore\n")
    pytester.makepyfile(test_plain="import mindspore as ms\n\n\ndef test_a():\n    pass\n")
    run = run_pytest()
    assert run.ret == 0 and run.outcomes() == {"test_plain.py::test_a": "passed"}
    assert run.findings("context_leak") == []
    assert run.report["examined"]["context_leak"]  # the check looked, and found nothing


def test_restoring_the_context_can_be_turned_off(pytester, run_pytest):
    pytester.makeini("[pytest]\nms_restore_context = false\n")
    pytester.makepyfile(test_order='''
import mindspore as ms


def test_sets_graph():
    ms.set_context(mode=ms.GRAPH_MODE)


def test_sees_it():
    assert ms.get_context("mode") == ms.GRAPH_MODE  # as without the plugin
''')
    run = run_pytest()
    assert set(run.outcomes().values()) == {"passed"}
    assert [f["nodeid"] for f in run.findings("context_leak")] == ["test_order.py::test_sets_graph"]


def test_without_restoring_the_context_the_suite_keeps_its_order(pytester, run_pytest):
    pytester.makeini("[pytest]\nms_restore_context = false\n")
    pytester.makepyfile(test_flow='''
import pytest
import mindspore as ms


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_sets(mode):
    ms.set_context(mode=mode)


def test_reads_what_the_last_one_left():
    assert ms.get_context("mode") == ms.PYNATIVE_MODE
''')
    on = run_pytest()
    off = pytester.runpytest_subprocess("-p", "no:msgraph", "-p", "no:randomly", "-p", "no:cacheprovider")
    assert off.ret == 0
    assert on.ret == 0 and set(on.outcomes().values()) == {"passed"}, on.stdout()
    assert [t["nodeid"].split("::")[1] for t in on.report["tests"]] == [
        "test_reads_what_the_last_one_left", "test_sets[0]", "test_sets[1]"]  # sorted; ran in the suite's order


OP_ERROR_AND_SYNTAX = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class BadReshape(nn.Cell):
    def construct(self, x):
        return x.reshape(7, 7)


class TryInConstruct(nn.Cell):
    def construct(self, x):
        try:
            return x * 2
        except ValueError:
            return x


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_op_error_in_both_modes(mode):
    ms.set_context(mode=mode)
    assert BadReshape()(Tensor(np.ones(4, np.float32))).shape == (7, 7)


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_graph_syntax_error(mode):
    ms.set_context(mode=mode)
    TryInConstruct()(Tensor(np.ones(4, np.float32)))
'''


def test_graph_syntax_advice_only_for_errors_of_graph_compilation_itself(pytester, run_pytest):
    pytester.makepyfile(test_errors=OP_ERROR_AND_SYNTAX)
    run = run_pytest()
    assert run.outcomes() == {
        "test_errors.py::test_op_error_in_both_modes[0]": "failed",
        "test_errors.py::test_op_error_in_both_modes[1]": "failed",
        "test_errors.py::test_graph_syntax_error[0]": "failed",
        "test_errors.py::test_graph_syntax_error[1]": "passed",
    }
    stdout = run.stdout()
    op_error = stdout.split("test_op_error_in_both_modes[0] _")[1].split("\n___")[0]
    assert "rewrite that construct with supported syntax" not in op_error
    syntax = stdout.split("test_graph_syntax_error[0] _")[1].split("\n___")[0]
    assert "rewrite that construct with supported syntax" in syntax


def test_tracebacks_show_no_plugin_frames(pytester, run_pytest):
    pytester.makepyfile(test_errors=OP_ERROR_AND_SYNTAX)
    stdout = run_pytest("--tb=long").stdout()
    tracebacks = stdout.split("= FAILURES =")[1].split("short test summary")[0]
    assert "pytest_msgraph/" not in tracebacks  # no frame of the plugin's own wrappers
    assert "test_errors.py" in stdout and "mindspore/" in stdout  # the user's frames and MindSpore's stay


MINDSPORE_STYLE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import context, nn, Tensor
import st_utils


@pytest.mark.level0
@pytest.mark.platform_x86_cpu
@pytest.mark.env_onecard
@pytest.mark.parametrize("mode", [context.GRAPH_MODE, context.PYNATIVE_MODE])
def test_dense(mode):
    context.set_context(mode=mode)
    assert nn.Dense(3, 2)(Tensor(np.ones((2, 3), np.float32))).shape == (2, 2)


@pytest.mark.platform_x86_gpu_training
@pytest.mark.env_onecard
def test_gpu_only():
    pass


@pytest.mark.platform_gpu
def test_gpu_only_new_style():
    pass


@pytest.mark.parametrize("mode", [0, 1])
def test_strict_holds(mode):
    ms.set_context(mode=mode)
    assert ms.get_context("jit_syntax_level") == ms.STRICT


def test_fails_on_its_own():
    assert 1 == 2
'''


def _outcomes(lines):
    words = {"PASSED": "passed", "FAILED": "failed", "SKIPPED": "skipped", "ERROR": "error"}
    found = {}
    for line in lines:
        head, _, rest = line.partition(" ")
        if head in words and "::" in rest:
            found[rest.split(" - ")[0].strip()] = words[head]
    return found


def test_outcomes_equal_a_run_without_the_plugin_but_for_platform_mark_skips(pytester, run_pytest):
    pytester.makeconftest("import mindspore\n")
    pytester.makepyfile(st_utils=STRICT_HELPER, test_ms=MINDSPORE_STYLE)
    on = run_pytest()
    off = pytester.runpytest_subprocess("-p", "no:msgraph", "-p", "no:randomly", "-p", "no:cacheprovider", "-rA")
    off_outcomes = _outcomes(off.stdout.lines)
    differing = {n for n in on.outcomes() if on.outcomes()[n] != off_outcomes.get(n)}
    assert differing == {"test_ms.py::test_gpu_only", "test_ms.py::test_gpu_only_new_style"}
    assert all(on.outcomes()[n] == "skipped" for n in differing)
    assert on.report["platform_skipped"] == 2
