"""reports.results, pure: a test's outcome from its phases, retries, interruptions and late failures, and the
mode counts."""
import pytest

from pytest_msgraph.reports.results import Results, phase_outcome


class _Report:
    def __init__(self, nodeid, when, outcome, duration=0.5, wasxfail=None, msgraph=None, rerun=0):
        self.nodeid, self.when, self.outcome, self.duration = nodeid, when, outcome, duration
        self.rerun = rerun
        if wasxfail is not None:
            self.wasxfail = wasxfail
        if msgraph is not None:
            self.msgraph = msgraph


@pytest.mark.parametrize("when, outcome, wasxfail, expected", [
    ("setup", "passed", False, None),
    ("setup", "failed", False, "error"),
    ("setup", "skipped", False, "skipped"),
    ("call", "passed", False, "passed"),
    ("call", "passed", True, "xpassed"),
    ("call", "failed", False, "failed"),
    ("call", "skipped", True, "xfailed"),
    ("teardown", "failed", False, "error"),
    ("???", "failed", False, "failed"),
    ("call", "rerun", False, None),
])
def test_phase_outcome(when, outcome, wasxfail, expected):
    assert phase_outcome(when, outcome, wasxfail) == expected


def test_results_keep_a_failure_over_a_later_teardown_error_and_sum_durations():
    results = Results()
    for report in (
        _Report("a", "setup", "passed", msgraph={"mode": "GRAPH_MODE", "device": "CPU"}),
        _Report("a", "call", "failed", msgraph={"mode": "GRAPH_MODE", "findings": [{"check": "c", "nodeid": "a", "message": "m"}], "examined": {"c": {"steps": 2}}}),
        _Report("a", "teardown", "failed"),
        _Report("b", "setup", "passed"),
        _Report("b", "call", "passed"),
        _Report("b", "teardown", "failed"),
    ):
        results.add_report(report)
    tests = {t["nodeid"]: t for t in results.sorted_tests()}
    assert tests["a"]["outcome"] == "failed" and tests["b"]["outcome"] == "error"
    assert tests["a"]["duration"] == 1.5
    assert tests["a"]["mode"] == "GRAPH_MODE" and tests["a"]["device"] == "CPU"
    assert results.examined == {"c": {"steps": 2}}
    assert results.mode_counts() == {"GRAPH_MODE": 1}


def _finding(nodeid, message="m"):
    return {"check": "c", "nodeid": nodeid, "message": message, "severity": "error"}


def test_a_retry_replaces_the_findings_counts_and_records_of_the_attempt_before():
    results = Results()
    data = {"mode": "GRAPH_MODE", "findings": [_finding("a")], "examined": {"c": {"calls": 2}},
            "records": {"c": [{"k": 1}]}}
    for attempt in (0, 1):
        results.add_report(_Report("a", "setup", "passed", rerun=attempt))
        results.add_report(_Report("a", "call", "rerun" if attempt == 0 else "failed", rerun=attempt, msgraph=data))
        results.add_report(_Report("a", "teardown", "passed", rerun=attempt))
    assert results.sorted_tests()[0]["outcome"] == "failed"
    assert results.sorted_tests()[0]["duration"] == 1.5  # the last attempt's phases
    assert len(results.findings) == 1 and results.examined == {"c": {"calls": 2}}
    assert len(results.sorted_records("c")) == 1


def test_a_test_without_an_outcome_is_interrupted_only_when_the_run_was():
    results = Results()
    results.add_report(_Report("a", "setup", "passed"))
    assert results.sorted_tests()[0]["outcome"] == "not run"
    results.incomplete = "KeyboardInterrupt"
    assert results.sorted_tests()[0]["outcome"] == "interrupted"


def test_fail_late_turns_only_a_passed_test_into_a_failure():
    results = Results()
    for nodeid, outcome in (("p", "passed"), ("x", "skipped")):
        results.add_report(_Report(nodeid, "call", outcome))
    assert results.fail_late("p", "[mode_parity] differs") and {t["nodeid"]: t["outcome"] for t in results.sorted_tests()}["p"] == "failed"
    assert not results.fail_late("x", "m") and not results.fail_late("t.py::test_function", "m")
    assert {t["nodeid"]: t["outcome"] for t in results.sorted_tests()}["x"] == "skipped"


def test_mode_counts_leave_skipped_variants_out():
    results = Results()
    results.add_report(_Report("t[GRAPH_MODE]", "call", "passed", msgraph={"mode": "GRAPH_MODE"}))
    results.add_report(_Report("t[PYNATIVE_MODE]", "setup", "skipped", msgraph={"mode": "PYNATIVE_MODE"}))
    assert results.mode_counts() == {"GRAPH_MODE": 1} and results.skipped_count() == 1
