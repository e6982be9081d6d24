"""The plugin's warnings raised as errors (``-W error::pytest_msgraph.MsGraphWarning``, ``filterwarnings =
error``): each is the error of what it names (a module's collection, a test, the session), never an INTERNALERROR."""
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
    # Without the filter too: on a tested release a check that cannot start fails the session, its tests still pass.
    plain = run_pytest(*workers)
    assert plain.ret == 1 and plain.outcomes() == run.outcomes()
    assert f"(MindSpore {plain.report['mindspore']} is a tested release" in plain.stdout()


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
