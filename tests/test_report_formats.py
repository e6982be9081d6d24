"""The report formats agree with the run: the JSON read with a strict parser, the JUnit XML with
xml.etree, and the matrix's reading of them, for each case a team meets (stops, subtests, NaN)."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import pytest_msgraph


def strict_json(path):
    """RFC 8259 only: NaN, Infinity and -Infinity are refused, as JSON.parse refuses them."""
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(path.read_text(), parse_constant=refuse)


def matrix(cwd, *args):
    return subprocess.run([sys.executable, "-m", "pytest_msgraph.matrix", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True)


PLAIN = '''
import mindspore


def test_passes():
    pass


def test_fails():
    assert 1 == 2, "one is not two"
'''


# --- 1. nothing replaced that is not the plugin's ------------------------------------------------

def test_a_report_path_that_is_a_test_module_is_refused_and_left_alone(pytester, usage_error):
    module = pytester.makepyfile(test_model=PLAIN)
    before = module.read_text()
    run = usage_error("--ms-report", "test_model.py",
                      message="test_model.py exists and is not a pytest-msgraph report, so it is left as it is")
    assert module.read_text() == before
    assert "Traceback" not in run.stderr()


def test_an_earlier_report_is_replaced(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN)
    first = run_pytest()
    assert first.ret == 1 and first.report["version"] == 3
    (pytester.path / "old.json").write_text(json.dumps({"version": 1, "tests": [], "findings": [], "examined": {}}))
    again = run_pytest("--ms-report=old.json", report=False)
    assert again.ret == 1 and strict_json(pytester.path / "old.json")["generator"] == "pytest-msgraph"


# --- 2. collection errors -------------------------------------------------------------------------

BROKEN_MODULE = "import mindspore\n\nraise ImportError('no module named models')\n"


def test_collection_errors_are_recorded_and_make_the_report_incomplete(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN, test_broken=BROKEN_MODULE)
    run = run_pytest("--continue-on-collection-errors")
    report = strict_json(pytester.path / "msgraph-report.json")
    assert report["collection_errors"] == [{"nodeid": "test_broken.py", "reason": "ImportError: no module named models"}]
    assert report["complete"] is False
    assert {t["nodeid"]: t["outcome"] for t in report["tests"]} == {
        "test_model.py::test_passes": "passed", "test_model.py::test_fails": "failed"}
    assert run.ret == 1
    shown = matrix(pytester.path, "msgraph-report.json")
    assert shown.returncode == 0, shown.stderr
    assert "**1 collection error(s)**" in shown.stdout and "`test_broken.py`" in shown.stdout
    assert "**1 incomplete report(s)**" in shown.stdout
    base = {**report, "complete": True, "collection_errors": []}  # a finished run of the same tests
    (pytester.path / "base.json").write_text(json.dumps(base))
    baseline = matrix(pytester.path, "msgraph-report.json", "--baseline", "base.json")
    assert baseline.returncode == 1 and "is incomplete" in baseline.stderr
    # The incomplete report as the baseline holds too little to compare against: refused (issue 29).
    refused = matrix(pytester.path, "base.json", "--baseline", "msgraph-report.json")
    assert refused.returncode == 2 and "baseline refused" in refused.stderr


def test_a_run_stopped_by_a_collection_error_gives_a_report_the_matrix_reads(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN, test_broken=BROKEN_MODULE)
    run = run_pytest()
    assert run.ret == 2
    report = strict_json(pytester.path / "msgraph-report.json")
    assert report["complete"] is False and len(report["collection_errors"]) == 1
    assert {t["outcome"] for t in report["tests"]} == {"not run"}  # collected, never reached
    shown = matrix(pytester.path, "msgraph-report.json")
    assert shown.returncode == 0
    assert shown.stdout.startswith("No test ran in these reports.") and "| test |" not in shown.stdout


# --- 3. cut-short runs -----------------------------------------------------------------------------

def test_tests_a_stopped_run_never_reached_are_not_run(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN + "\n\ndef test_after():\n    pass\n")
    run = run_pytest("-x", "-p", "no:randomly")
    report = strict_json(pytester.path / "msgraph-report.json")
    assert run.outcomes() == {"test_model.py::test_passes": "passed", "test_model.py::test_fails": "failed",
                              "test_model.py::test_after": "not run"}
    assert report["complete"] is False and "-x/--maxfail" in report["interrupted"]


def test_a_keyboard_interrupt_in_a_test_under_xdist_is_interrupted(pytester, run_pytest):
    pytester.makepyfile(test_stop='''
import mindspore


def test_stops():
    raise KeyboardInterrupt
''')
    run = run_pytest("-n", "1")
    assert run.outcomes() == {"test_stop.py::test_stops": "interrupted"}
    assert run.report["complete"] is False


# --- 4. subtests ----------------------------------------------------------------------------------

SUBTESTS = '''
import unittest
import mindspore


class TestCase(unittest.TestCase):
    def test_sub(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 2)


def test_fixture(subtests):
    for i in range(3):
        with subtests.test(i=i):
            assert i < 2
'''


def test_a_failing_subtest_fails_its_test_in_the_report_and_the_matrix(pytester, run_pytest):
    if int(pytest.__version__.split(".")[0]) < 9:
        pytest.skip("pytest has the subtests fixture from version 9 on")
    pytester.makepyfile(test_sub=SUBTESTS)
    run = run_pytest()
    assert run.outcomes() == {"test_sub.py::TestCase::test_sub": "failed", "test_sub.py::test_fixture": "failed"}
    reasons = {t["nodeid"]: t["reason"] for t in run.report["tests"]}
    assert reasons["test_sub.py::TestCase::test_sub"].startswith("subtest (i=2) failed: AssertionError: 2 not less")
    shown = matrix(pytester.path, "msgraph-report.json", "--format", "json")
    cells = [cell for row in json.loads(shown.stdout)["rows"] for cell in row["cells"].values()]
    assert [cell["outcome"] for cell in cells] == ["failed", "failed"]


# --- 5. late failures in the JUnit XML ------------------------------------------------------------

LATE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class Noisy(nn.Cell):
    def construct(self, x):
        return x + ms.Tensor(np.random.randn(*x.shape).astype(np.float32))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE], scope="module")
def test_noisy(mode):
    net, x = Noisy(), Tensor(np.zeros(4, np.float32))
    net(x)
    net(x)
'''


def test_a_failure_found_at_the_end_is_a_failure_in_the_junit_xml(pytester, run_pytest):
    pytester.makepyfile(test_late=LATE)  # module scope: the GRAPH_MODE variant runs first, compared at the end
    run = run_pytest("--junitxml=junit.xml")
    assert run.ret == 1 and run.outcomes()["test_late.py::test_noisy[0]"] == "failed"
    root = ET.parse(pytester.path / "junit.xml").getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    failure = cases["test_noisy[0]"].find("failure")
    assert failure is not None and failure.get("message").startswith("[mode_parity] Noisy call 2")
    assert cases["test_noisy[1]"].find("failure") is None
    assert suite.get("failures") == "1"
    assert run.report["tests"][0]["reason"].startswith("[mode_parity] Noisy call 2")


# --- 6. the mode a test really ran in -------------------------------------------------------------

def test_a_variant_that_sets_another_mode_reports_where_it_ran_and_that_its_pair_proves_nothing(pytester, run_pytest):
    pytester.makepyfile(test_typo='''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_typo(mode):
    ms.set_context(mode=ms.GRAPH_MODE)
    nn.Dense(3, 2)(Tensor(np.ones((2, 3), np.float32)))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_right(mode):
    ms.set_context(mode=mode)
    nn.Dense(3, 2)(Tensor(np.ones((2, 3), np.float32)))
''')
    run = run_pytest()
    modes = {t["nodeid"].split("::")[1]: t["mode"] for t in run.report["tests"]}
    assert modes == {"test_typo[0]": "GRAPH_MODE", "test_typo[1]": "GRAPH_MODE",
                     "test_right[0]": "GRAPH_MODE", "test_right[1]": "PYNATIVE_MODE"}
    [finding] = run.findings("mode_parity")
    assert finding["nodeid"] == "test_typo.py::test_typo[1]"
    assert "this PYNATIVE_MODE variant ran in GRAPH_MODE" in finding["message"]
    assert "proves nothing" in finding["message"]
    assert run.outcomes()["test_typo.py::test_typo[1]"] == "failed"
    assert run.outcomes()["test_typo.py::test_right[1]"] == "passed"


# --- 7. strict JSON -------------------------------------------------------------------------------

def test_a_nan_in_a_finding_is_written_as_strict_json(pytester, run_pytest):
    pytester.makepyfile(test_nan='''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class NanInGraph(nn.Cell):
    def construct(self, x):
        return x * ms.Tensor(np.random.choice([np.nan, 1.0], size=x.shape).astype(np.float32))


@pytest.mark.parametrize("mode", [ms.GRAPH_MODE, ms.PYNATIVE_MODE])
def test_nan(mode):
    net, x = NanInGraph(), Tensor(np.ones(8, np.float32))
    for _ in range(3):
        net(x)
''')
    run_pytest()
    report = strict_json(pytester.path / "msgraph-report.json")  # raises on NaN
    assert report["findings"], report
    out = matrix(pytester.path, "msgraph-report.json", "--format", "json")
    json.loads(out.stdout, parse_constant=lambda c: pytest.fail(f"NaN in the matrix: {c}"))


# --- 8. baselines that match nothing --------------------------------------------------------------

def test_a_baseline_that_matches_no_row_exits_2_and_a_partial_one_is_counted(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN)
    run_pytest()
    report = strict_json(pytester.path / "msgraph-report.json")
    other = json.loads(json.dumps(report))
    for test in other["tests"]:
        test["nodeid"] = test["nodeid"].replace("test_passes", "test_renamed[0]").replace("test_fails", "test_gone[0]")
    (pytester.path / "other.json").write_text(json.dumps(other))
    none_match = matrix(pytester.path, "msgraph-report.json", "--baseline", "other.json")
    assert none_match.returncode == 2 and "no row of the baseline other.json matches" in none_match.stderr
    other["tests"].append(dict(report["tests"][0]))
    (pytester.path / "other.json").write_text(json.dumps(other))
    some = matrix(pytester.path, "msgraph-report.json", "--baseline", "other.json")
    assert some.returncode == 0
    assert "2 baseline row(s) match no row of these reports" in some.stderr
    assert "`test_model.py::test_gone[0]`" in some.stdout


def test_a_baseline_of_the_previous_report_version_is_refused_in_one_line(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN)
    run_pytest()
    (pytester.path / "old.json").write_text(json.dumps({"version": 1, "tests": [], "findings": []}))
    done = matrix(pytester.path, "msgraph-report.json", "--baseline", "old.json")
    assert done.returncode == 2 and "is a report of version 1; this tool reads versions 2 and 3" in done.stderr


# --- 9. every failure says why --------------------------------------------------------------------

def test_every_failed_or_errored_test_has_a_one_line_reason(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN + '''

import pytest


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


def test_error(broken):
    pass


@pytest.mark.skip(reason="needs an Ascend card")
def test_skipped():
    pass


@pytest.mark.xfail(reason="known bug 12", strict=True)
def test_xfailed():
    assert False
''')
    run = run_pytest()
    reasons = {t["nodeid"].split("::")[1]: t["reason"] for t in run.report["tests"]}
    assert reasons == {"test_passes": None, "test_fails": "AssertionError: one is not two",
                       "test_error": "RuntimeError: fixture broke", "test_skipped": "needs an Ascend card",
                       "test_xfailed": "known bug 12"}
    html = matrix(pytester.path, "msgraph-report.json", "--format", "html").stdout
    assert 'title="AssertionError: one is not two"' in html
    markdown = matrix(pytester.path, "msgraph-report.json").stdout
    assert "AssertionError: one is not two" in markdown.split("Why each failure failed:")[1]


# --- 10. no stale report --------------------------------------------------------------------------

def test_a_killed_run_leaves_an_incomplete_report_not_an_older_one(pytester, run_pytest):
    pytester.makepyfile(test_model=PLAIN)
    run_pytest()
    assert strict_json(pytester.path / "msgraph-report.json")["complete"] is True  # a failure is an outcome
    pytester.makepyfile(test_model='''
import os
import mindspore


def test_killed():
    os._exit(3)  # what pytest-timeout's thread method does
''')
    killed = run_pytest()
    assert killed.ret == 3
    report = strict_json(pytester.path / "msgraph-report.json")
    assert report["complete"] is False and report["tests"] == []
    assert "the run has not finished" in report["interrupted"]


# --- 11. the header and the schema ----------------------------------------------------------------

def test_the_report_has_its_header_and_fits_the_published_schema(pytester, run_pytest):
    jsonschema = pytest.importorskip("jsonschema")
    from pytest_msgraph.reports.validation import schema

    pytester.makepyfile(test_model=PLAIN)
    run_pytest()
    report = strict_json(pytester.path / "msgraph-report.json")
    assert report["plugin_version"] == pytest_msgraph.__version__
    assert report["started"] <= report["finished"]
    jsonschema.validate(report, schema("report"))
    bad = dict(report, tests=[dict(report["tests"][0], outcome="weird")])
    (pytester.path / "bad.json").write_text(json.dumps(bad))
    done = matrix(pytester.path, "bad.json")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert 'tests[0].outcome is "weird", expected one of: passed, failed' in done.stderr


def test_a_findings_repro_is_a_junit_property_that_says_when_it_does_not_reproduce():
    from pytest_msgraph.reports.junit import finding_properties

    finding = {"check": "mode_parity", "severity": "error", "message": "Jitter call 1 parts", "fix": None}
    assert [name for name, _ in finding_properties(finding)] == ["ms_finding"]
    cited = {**finding, "repro": {"path": "repros/t/repro.py", "reproduced": True, "why": None}}
    assert finding_properties(cited)[1] == ("ms_repro", "repros/t/repro.py")
    alone = {**finding, "repro": {"path": "repros/t/repro.py", "reproduced": False, "why": "the modes agree"}}
    assert finding_properties(alone)[1] == ("ms_repro", "repros/t/repro.py (does not reproduce: the modes agree)")
