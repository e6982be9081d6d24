"""Plain unit tests for the plugin's pure logic (no MindSpore, no subprocess)."""
import pytest

from pytest_msgraph.checks import Check, CheckRegistry, parse_policy_entries, resolve_policies
from pytest_msgraph.compile_errors import construct_locations, headline, is_compile_error
from pytest_msgraph.findings import Finding, TestRun
from pytest_msgraph.modes import Mode, parse_mode, parse_mode_list
from pytest_msgraph.results import Results, phase_outcome


class _Check(Check):
    name = "alpha"
    default_policy = "error"


class _Report:
    def __init__(self, nodeid, when, outcome, duration=0.5, wasxfail=None, msgraph=None):
        self.nodeid, self.when, self.outcome, self.duration = nodeid, when, outcome, duration
        if wasxfail is not None:
            self.wasxfail = wasxfail
        if msgraph is not None:
            self.msgraph = msgraph


@pytest.mark.parametrize("text, mode", [
    ("GRAPH_MODE", Mode.GRAPH_MODE), ("graph", Mode.GRAPH_MODE), (" Pynative ", Mode.PYNATIVE_MODE),
    ("0", Mode.GRAPH_MODE), ("1", Mode.PYNATIVE_MODE),
])
def test_parse_mode(text, mode):
    assert parse_mode(text) is mode


def test_mode_values_match_mindspore_constants_and_print_by_name():
    assert Mode.GRAPH_MODE == 0 and Mode.PYNATIVE_MODE == 1
    assert str(Mode.GRAPH_MODE) == "GRAPH_MODE"


def test_parse_mode_list_orders_and_deduplicates():
    assert parse_mode_list("pynative,graph,GRAPH_MODE") == (Mode.GRAPH_MODE, Mode.PYNATIVE_MODE)
    with pytest.raises(ValueError, match="unknown mode 'eager'"):
        parse_mode_list("graph,eager")
    with pytest.raises(ValueError, match="no mode given"):
        parse_mode_list(" , ")


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
    run = TestRun("t.py::test_f", "GRAPH_MODE", "CPU").bind("alpha", "warn")
    finding = run.emit("boom", cell="net.bn", count=2, check="not-overwritten")
    data = finding.to_dict()
    assert data["check"] == "alpha" and data["count"] == 2 and data["cell"] == "net.bn"
    assert Finding.from_dict(data).details == {"count": 2}
    run.count(3)
    run.count(2, unit="cells")
    assert run.examined == {"alpha": {"items": 3, "cells": 2}}


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
