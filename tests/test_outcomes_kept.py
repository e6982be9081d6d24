"""Only a check's conviction changes a verdict: the cases of issue 19 outside the habits suite.

Warnings raised as errors, adopted pairs under --ms-modes and MS_JIT=0, the suite's own
order under ms_restore_context = false, compile budgets that do not depend on the order,
and bad input given in one line.
"""
import pytest

# A module that sets the context when imported, as MindSpore's own tests/st/utils/test_utils.py does.
SETS_CONTEXT_AT_IMPORT = '''
import mindspore as ms

ms.set_context(jit_syntax_level=ms.STRICT)


def test_in_the_module():
    pass
'''
OTHER_MODULE = '''
def test_elsewhere():
    pass
'''


@pytest.mark.parametrize("how", ["-W", "ini"])
def test_a_collection_finding_raised_as_an_error_is_that_modules_collection_error(pytester, run_pytest, how):
    pytester.makepyfile(test_strict=SETS_CONTEXT_AT_IMPORT, test_other=OTHER_MODULE)
    if how == "ini":
        pytester.makeini("[pytest]\nfilterwarnings =\n    error\n    ignore::DeprecationWarning\n")
        run = run_pytest("--continue-on-collection-errors")
    else:
        run = run_pytest("-W", "error::pytest_msgraph.MsGraphWarning", "--continue-on-collection-errors")
    out = run.stdout() + run.stderr()
    assert "INTERNALERROR" not in out
    assert run.ret == 1
    assert "ERROR collecting test_strict.py" in out and "[context_leak] module test_strict.py changed" in out
    assert run.outcomes() == {"test_other.py::test_elsewhere": "passed"}


def test_without_the_filter_the_same_module_only_warns(pytester, run_pytest):
    pytester.makepyfile(test_strict=SETS_CONTEXT_AT_IMPORT, test_other=OTHER_MODULE)
    run = run_pytest()
    assert run.ret == 0 and set(run.outcomes().values()) == {"passed"}


BROKEN_CHECK = '''
from pytest_msgraph import Check


class CannotStart(Check):
    name = "cannot_start"
    default_policy = "warn"

    def session_started(self, mindspore):
        raise RuntimeError("a MindSpore internal is missing")


def pytest_msgraph_register_checks(registry, config):
    registry.add(CannotStart())
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_check_that_cannot_start_under_w_error_fails_the_session_not_pytest(pytester, run_pytest, net_source,
                                                                             workers):
    pytester.makeconftest(BROKEN_CHECK)
    pytester.makepyfile(net_source + "\ndef test_a():\n    Net()(ones(2, 3))\n\n\ndef test_b():\n    pass\n")
    run = run_pytest("-W", "error::pytest_msgraph.MsGraphWarning", *workers)
    out = run.stdout() + run.stderr()
    assert "INTERNALERROR" not in out
    assert run.outcomes() == {"test_a_check_that_cannot_start_under_w_error_fails_the_session_not_pytest.py::test_a":
                              "passed", "test_a_check_that_cannot_start_under_w_error_fails_the_session_not_pytest.py"
                              "::test_b": "passed"}
    assert run.ret == 1
    assert "session error: msgraph: check 'cannot_start' is inactive for this session" in out
    assert pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider", *workers).ret == 0


def test_a_warn_finding_raised_as_an_error_fails_its_test_with_every_finding_and_no_traceback(pytester, run_pytest):
    pytester.makepyfile(test_leaks='''
import mindspore as ms


def test_leaks_two_keys():
    ms.set_context(max_call_depth=2000, mode=ms.GRAPH_MODE)


def test_clean():
    pass
''')
    run = run_pytest("-W", "error::pytest_msgraph.MsGraphWarning")
    assert run.outcomes() == {"test_leaks.py::test_leaks_two_keys": "error", "test_leaks.py::test_clean": "passed"}
    out = run.stdout()
    assert "max_call_depth=2000" in out and "mode=GRAPH_MODE" in out
    assert "turned into errors by a warning filter" in out
    assert "pytest_msgraph/" not in out.split("short test summary")[0]  # no traceback through the plugin


ADOPTED = '''
import pytest
import mindspore as ms


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_adopted(mode):
    ms.set_context(mode=mode)
    assert mode == ms.PYNATIVE_MODE
'''


def test_adopted_pairs_honour_ms_modes(pytester, run_pytest):
    pytester.makepyfile(test_adopted=ADOPTED)
    run = run_pytest("--ms-modes=PYNATIVE_MODE", "-rs")
    assert run.ret == 0
    assert run.outcomes() == {"test_adopted.py::test_adopted[0]": "skipped", "test_adopted.py::test_adopted[1]": "passed"}
    assert "GRAPH_MODE not selected (--ms-modes=PYNATIVE_MODE)" in run.stdout()


def test_adopted_pairs_skip_the_graph_variant_under_ms_jit_0(pytester, run_pytest, monkeypatch):
    pytester.makepyfile(test_adopted=ADOPTED.replace("assert mode == ms.PYNATIVE_MODE", "pass"))
    monkeypatch.setenv("MS_JIT", "0")
    run = run_pytest("-rs")
    assert run.outcomes()["test_adopted.py::test_adopted[0]"] == "skipped"
    assert "MS_JIT=0 is set" in run.stdout()
    assert "in GRAPH_MODE" not in run.stdout().split("= msgraph =")[-1]


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


BUDGETS = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import Tensor


@ms.jit
def double(x):
    return x * 2


@ms.jit
def triple(x):
    return x * 3


def test_warms_the_cache():
    double(Tensor(np.ones(3, np.float32)))


@pytest.mark.ms_max_compiles(1)
def test_needs_two_graphs():
    x = Tensor(np.ones(3, np.float32))
    double(x)
    triple(x)
'''


@pytest.mark.parametrize("order", ["file order", "-k", "randomly seeds 3 and 4"])
def test_a_compile_budget_does_not_depend_on_the_order_tests_run_in(pytester, run_pytest, order):
    pytester.makepyfile(test_budgets=BUDGETS)
    if order == "file order":
        runs = [run_pytest()]
    elif order == "-k":
        runs = [run_pytest("-k", "needs_two")]
    else:
        runs = [run_pytest(f"--randomly-seed={seed}", randomly=True) for seed in (3, 4)]
    for run in runs:
        assert run.outcomes()["test_budgets.py::test_needs_two_graphs"] == "failed"
        assert "the test's calls needed 2 graphs, more than the 1 allowed" in run.stdout()


# --- bad input, one line ------------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    '@pytest.mark.parametrize("a, b", [1, 2])\ndef test_f(a, b):\n    pass\n',
    '@pytest.mark.parametrize("mode", 5)\ndef test_f(mode):\n    pass\n',
    '@pytest.mark.parametrize(3, [1])\ndef test_f():\n    pass\n',
], ids=["names and values disagree", "not iterable", "names not a string"])
def test_a_malformed_parametrize_shows_pytests_own_message(pytester, run_pytest, monkeypatch, source):
    monkeypatch.setenv("PYTHONHASHSEED", "0")  # pytest prints a set in one of these messages
    pytester.makepyfile(test_bad="import pytest\n\n\n" + source)
    on = run_pytest(report=False)
    off = pytester.runpytest_subprocess("-p", "no:msgraph", "-p", "no:randomly", "-p", "no:cacheprovider")
    assert on.ret == off.ret == 2
    assert "pytest_msgraph" not in on.stdout() + on.stderr()

    def errors(text):
        return text.split("= ERRORS =")[1].split("short test summary")[0]

    assert errors(on.stdout()) == errors(off.stdout.str())


@pytest.mark.parametrize("marker, message", [
    ('ms_max_compiles("1")', "@pytest.mark.ms_max_compiles takes one whole number >= 0"),
    ('ms_allow("no_such_check")', "@pytest.mark.ms_allow names unknown check(s) 'no_such_check'"),
])
def test_markers_on_unittest_methods_are_validated(pytester, run_pytest, marker, message):
    pytester.makepyfile(test_case=f'''
import unittest
import pytest


class TestNet(unittest.TestCase):
    @pytest.mark.{marker}
    def test_x(self):
        pass
''')
    run = run_pytest()
    assert run.ret == 2
    assert "ERROR collecting test_case.py" in run.stdout() and message in run.stdout()
    assert "Traceback" not in run.stdout() and "TypeError" not in run.stdout()


@pytest.mark.parametrize("ini, args, message", [
    ("ms_summary_max = \u00b2", [], "ini key ms_summary_max '\u00b2' is not a number of lines"),
    ("ms_recompile_threshold = \u00b3", [], "ini key ms_recompile_threshold: '\u00b3' is not a compile count"),
    ("", ["--ms-check="], "--ms-check was given an empty value"),
    ("", ["--ms-summary-max=-1"], "'-1' is not a number of lines"),
    ("", ["--ms-parity-max-bytes=\u00b2"], "is not a byte count"),
])
def test_bad_counts_and_empty_values_are_usage_errors(pytester, usage_error, ini, args, message):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    usage_error(*args, message=message)
