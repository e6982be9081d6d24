"""The findings frame: a check added from a conftest, policies, ms_allow, crashes, summary."""
import pytest

from pytest_msgraph.checks.findings import Finding, TestRun
from pytest_msgraph.checks.frame import Check, CheckRegistry, parse_policy_entries, resolve_policies

# A conftest that registers a check through the plugin's hook. It flags tests whose
# name contains "bad" and crashes in tests whose name contains "crash".
CHECK_CONFTEST = '''
from pytest_msgraph import Check


class NameCheck(Check):
    name = "name_check"
    description = "flags tests named bad"
    default_policy = "error"
    unit = "names"

    def test_finished(self, run):
        run.count()
        if "crash" in run.item.name:
            raise ZeroDivisionError("boom")
        if "bad" in run.item.name:
            run.emit(f"test name is bad in {run.mode}", cell="Net.dense", hint="rename it")


def pytest_msgraph_register_checks(registry, config):
    registry.add(NameCheck())


FINDINGS = []


def pytest_msgraph_finding(finding, config):
    FINDINGS.append(finding.check)
'''

TESTS = '''
import pytest
import mindspore

def test_good():
    pass

def test_bad():
    pass

@pytest.mark.ms_allow("name_check")
def test_bad_but_allowed():
    pass
'''


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(CHECK_CONFTEST)
    pytester.makepyfile(TESTS)
    return pytester


def test_error_policy_fails_the_test_with_the_finding(suite, run_pytest):
    run = run_pytest()
    assert run.ret == 1
    assert run.outcomes() == {
        "test_error_policy_fails_the_test_with_the_finding.py::test_good": "passed",
        "test_error_policy_fails_the_test_with_the_finding.py::test_bad": "failed",
        "test_error_policy_fails_the_test_with_the_finding.py::test_bad_but_allowed": "passed",
    }
    [finding] = run.findings("name_check")
    assert finding == {
        "check": "name_check",
        "severity": "error",
        "nodeid": "test_error_policy_fails_the_test_with_the_finding.py::test_bad",
        "mode": "PYNATIVE_MODE",
        "device": "CPU",
        "message": "test name is bad in PYNATIVE_MODE",
        "cell": "Net.dense",
        "hint": "rename it",
    }
    run.result.stdout.fnmatch_lines([
        "[[]name_check[]] test name is bad in PYNATIVE_MODE",
        "(msgraph: 1 finding(s) with policy 'error'; change a check's policy with --ms-check*",
    ])
    # ms_allow turned the check off for one test: examined 2 names, not 3.
    run.result.stdout.fnmatch_lines([
        "*= msgraph =*",
        "name_check [[]error[]]: 1 finding in 2 names",
        "  ERROR *::test_bad (PYNATIVE_MODE) [[]Net.dense[]]: test name is bad in PYNATIVE_MODE",
    ])


def test_warn_policy_emits_msgraph_warning_and_passes(suite, run_pytest):
    run = run_pytest("--ms-check", "name_check=warn")
    assert run.ret == 0
    assert run.findings("name_check")[0]["severity"] == "warn"
    # The warnings summary points to the msgraph section, where the finding's text is, once.
    run.result.stdout.fnmatch_lines(["*MsGraphWarning: [[]name_check[]] a finding: what and the fix are in the "
                                     "msgraph section*"])
    assert run.stdout().count("test name is bad") == 1


def test_warning_can_be_turned_into_an_error_with_w(suite, run_pytest):
    run = run_pytest("--ms-check", "name_check=warn", "-W", "error::pytest_msgraph.MsGraphWarning")
    assert run.outcomes()["test_warning_can_be_turned_into_an_error_with_w.py::test_bad"] == "failed"
    run.result.stdout.fnmatch_lines(["[[]name_check[]] test name is bad in PYNATIVE_MODE"])  # the whole text


def test_off_policy_does_not_run_the_check_and_ini_is_read(suite, run_pytest):
    suite.makeini("[pytest]\nms_checks =\n    name_check=off\n")
    run = run_pytest()
    assert run.ret == 0
    assert run.findings() == []
    assert "name_check" not in run.report["examined"]
    run.result.stdout.fnmatch_lines(["off: name_check"])
    # The command line wins over the ini file.
    run = run_pytest("--ms-check=name_check=error")
    assert run.ret == 1


def test_unknown_check_or_policy_is_a_usage_error(suite, usage_error):
    usage_error("--ms-check", "name_chek=warn", message=(
        "unknown check 'name_chek'; known checks: double_forward, bn_update_count, dynamic_shape, stale_attribute, "
        "mode_parity, compiled_hooks, graph_syntax, context_leak, recompile, torch_parity, mixed_precision, "
        "input_mutation, gradcheck, name_check"))
    usage_error("--ms-check", "name_check=loud",
                message="'name_check=loud' is not NAME=POLICY; POLICY is one of error, warn, off")


def test_ms_allow_with_an_unknown_check_is_a_collection_error(pytester, run_pytest):
    pytester.makepyfile('''
import pytest
@pytest.mark.ms_allow("double_forwrd")
def test_f():
    pass
''')
    run = run_pytest(report=False)
    assert run.ret == 2
    run.result.stdout.fnmatch_lines(["*ms_allow names unknown check(s) 'double_forwrd'; known checks: double_forward, bn_update_count, dynamic_shape, stale_attribute, mode_parity, compiled_hooks, graph_syntax, context_leak*"])


def test_a_crashing_check_is_that_checks_failure_and_other_results_survive(pytester, run_pytest):
    pytester.makeconftest(CHECK_CONFTEST)
    pytester.makepyfile('''
import mindspore
def test_crash():
    pass
def test_bad():
    pass
def test_good():
    pass
''')
    run = run_pytest()
    outcomes = {k.split("::")[1]: v for k, v in run.outcomes().items()}
    assert outcomes == {"test_crash": "failed", "test_bad": "failed", "test_good": "passed"}
    crash = [f for f in run.findings("name_check") if f.get("crashed")]
    assert len(crash) == 1
    assert "check 'name_check' crashed in test_finished (ZeroDivisionError: boom" in crash[0]["message"]
    assert "--ms-check name_check=off" in crash[0]["message"]
    assert len(run.findings("name_check")) == 2
    assert run.report["examined"]["context_leak"] == {"tests": 3}


def test_finding_hook_is_called(suite, run_pytest):
    suite.makepyfile(test_zz_after='''
from conftest import FINDINGS
def test_zz():
    assert FINDINGS == ["name_check"]
''')
    run = run_pytest("--ms-check=name_check=warn")
    assert run.outcomes()["test_zz_after.py::test_zz"] == "passed"


def test_registering_a_check_twice_is_a_usage_error(pytester, usage_error):
    pytester.makeconftest(CHECK_CONFTEST + '''
def pytest_msgraph_register_checks(registry, config):
    registry.add(NameCheck())
    registry.add(NameCheck())
''')
    pytester.makepyfile("def test_f(): pass")
    usage_error(message="a check named 'name_check' is registered twice")


def test_a_check_crashing_inside_a_cell_call_does_not_break_the_test(pytester, run_pytest):
    pytester.makeconftest('''
from pytest_msgraph.checks.builtin.probed import ProbedCheck


class Fragile(ProbedCheck):
    name = "fragile"
    default_policy = "warn"

    def forward_finished(self, cell, args, out, failed):
        raise KeyError("boom in the probe")


def pytest_msgraph_register_checks(registry, config):
    registry.add(Fragile())
''')
    pytester.makepyfile('''
import numpy as np
import mindspore as ms
from mindspore import nn

def test_user_code():
    out = nn.Dense(2, 2)(ms.Tensor(np.ones((1, 2), np.float32)))
    assert out.shape == (1, 2)
''')
    run = run_pytest()
    assert list(run.outcomes().values()) == ["passed"]
    [crash] = run.findings("fragile")
    assert crash["crashed"] is True
    assert "check 'fragile' crashed in forward_finished (KeyError: 'boom in the probe'" in crash["message"]


# --- checks.frame and checks.findings, pure -------------------------------------------------------


class _Check(Check):
    name = "alpha"
    default_policy = "error"


def test_policy_entries_accept_commas_and_repeats():
    assert parse_policy_entries(["a=warn,b=OFF", "a=error"], "--ms-check") == {"a": "error", "b": "off"}
    for bad in ("a", "a=", "=warn", "a=loud"):
        with pytest.raises(ValueError, match="is not NAME=POLICY"):
            parse_policy_entries([bad], "--ms-check")


def test_resolve_policies_layers_and_unknown_names():
    registry = CheckRegistry()
    registry.add(_Check())
    assert resolve_policies(registry) == {"alpha": "error"}
    assert resolve_policies(registry, {"alpha": "off"}, {"alpha": "warn"}) == {"alpha": "warn"}
    with pytest.raises(ValueError, match="unknown check 'beta'; known checks: alpha"):
        resolve_policies(registry, {"beta": "off"})


def test_registry_rejects_bad_checks():
    registry = CheckRegistry()
    nameless = Check()
    with pytest.raises(ValueError, match="needs a name"):
        registry.add(nameless)
    bad_policy = _Check()
    bad_policy.default_policy = "loud"
    with pytest.raises(ValueError, match="default_policy 'loud'"):
        registry.add(bad_policy)


def test_finding_round_trips_through_a_flat_dict():
    run = TestRun("t.py::test_f", "GRAPH_MODE", "CPU").for_check("alpha", "warn")
    finding = run.emit("boom", cell="net.bn", count=2, check="not-overwritten")
    data = finding.to_dict()
    assert data["check"] == "alpha" and data["count"] == 2 and data["cell"] == "net.bn"
    assert Finding.from_dict(data).details == {"count": 2}
    run.count(3)
    run.count(2, unit="cells")
    assert run.examined == {"alpha": {"items": 3, "cells": 2}}
