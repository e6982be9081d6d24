"""Plain unit tests for the plugin's pure logic (no MindSpore, no subprocess)."""
import ast

import pytest

from pytest_msgraph.checks.builtin.argument_writes import written_arguments
from pytest_msgraph.checks.findings import Finding, TestRun
from pytest_msgraph.checks.frame import Check, CheckRegistry, parse_policy_entries, resolve_policies
from pytest_msgraph.core.modes import Mode, parse_mode, parse_mode_list
from pytest_msgraph.mindspore_side.compile_errors import construct_locations, headline, is_compile_error
from pytest_msgraph.reports.results import Results, phase_outcome


class _Check(Check):
    name = "alpha"
    default_policy = "error"


class _Report:
    def __init__(self, nodeid, when, outcome, duration=0.5, wasxfail=None, msgraph=None, rerun=0):
        self.nodeid, self.when, self.outcome, self.duration = nodeid, when, outcome, duration
        self.rerun = rerun
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


def test_to_plain_makes_numpy_and_containers_json_data():
    import enum
    import json

    import numpy as np

    from pytest_msgraph.core.plain import to_plain

    class Color(enum.IntEnum):
        RED = 1

    value = {"f": np.float32(0.5), "a": np.arange(3), "t": (np.int64(2), {1: np.bool_(True)}), "e": Color.RED,
             "s": {2, 1}, 3: None}
    plain = to_plain(value)
    assert plain == {"f": 0.5, "a": [0, 1, 2], "t": [2, {"1": True}], "e": 1, "s": [1, 2], "3": None}
    assert json.dumps(plain) and type(plain["e"]) is int
    assert to_plain(object()).startswith("<object object")


def test_summaries_are_exact_enough_and_zero_references_have_no_relative_diff():
    import numpy as np

    from pytest_msgraph.checks.builtin.parity.arithmetic import compare_leaves, encode, summarize

    values = np.array([[1.0, -3.0], [2.0, 4.0]], np.float32)
    assert summarize(values) == pytest.approx({"min": -3.0, "max": 4.0, "mean": 1.0, "rms": (30 / 4) ** 0.5,
                                               "nonfinite": 0})
    assert summarize(np.arange(4, dtype=np.int64))["max"] == 3.0
    budget = [1 << 20]
    diff = compare_leaves(encode(np.array([1.0, 2.0], np.float32), "Float32", budget),
                          encode(np.array([0.0, 2.0], np.float32), "Float32", budget), None, None)
    assert diff["max_abs"] == 1.0 and diff["max_rel"] is None


def test_complex_values_are_compared_by_both_parts_and_nonfinite_values_name_their_side():
    import warnings

    import numpy as np

    from pytest_msgraph.checks.builtin.parity.arithmetic import compare_leaves, encode

    budget = [1 << 20]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ComplexWarning: the imaginary part is never dropped
        flipped = compare_leaves(encode(np.array([1 + 2j], np.complex64), "Complex64", budget),
                                 encode(np.array([1 - 2j], np.complex64), "Complex64", budget), None, None)
        same = compare_leaves(encode(np.array([1 + 2j], np.complex64), "Complex64", budget),
                              encode(np.array([1 + 2.00001j], np.complex64), "Complex64", budget), None, None)
    assert flipped["max_abs"] == 4.0 and same is None
    eager_nan = compare_leaves(encode(np.array([1.0, 2.0], np.float32), "Float32", budget),
                               encode(np.array([np.nan, np.inf], np.float32), "Float32", budget), None, None)
    assert eager_nan["nonfinite"] == {"side": "PYNATIVE_MODE", "graph": 0, "pynative": 2}
    small = [0]  # no bytes left: summaries
    summarized = compare_leaves(encode(np.ones(4, np.float32), "Float32", small),
                                encode(np.array([1, 1, np.nan, 1], np.float32), "Float32", small), None, None)
    assert summarized["kind"] == "summary" and summarized["nonfinite"]["side"] == "PYNATIVE_MODE"


class _Variant:
    def __init__(self, nodeid, mode=None):
        self.nodeid = nodeid
        self.name = self.originalname = nodeid.split("::")[-1]
        self.stash = pytest.Stash()
        if mode is not None:
            from pytest_msgraph.pytest_side.variants import MODE_PARAM

            ids = self.name.partition("[")[2].rstrip("]").split("-")
            self.callspec = type("CallSpec", (), {"params": {MODE_PARAM: mode}, "id": "-".join(ids)})()


def test_pairs_are_put_side_by_side_pynative_first():
    from pytest_msgraph.pytest_side.pairing import pair_adjacent

    g1, p1 = _Variant("t.py::f[GRAPH_MODE-1]", Mode.GRAPH_MODE), _Variant("t.py::f[PYNATIVE_MODE-1]", Mode.PYNATIVE_MODE)
    g2, p2 = _Variant("t.py::f[GRAPH_MODE-2]", Mode.GRAPH_MODE), _Variant("t.py::f[PYNATIVE_MODE-2]", Mode.PYNATIVE_MODE)
    plain = _Variant("t.py::plain")
    for item in (g1, p1, g2, p2):
        item.originalname = "f"
    ordered = pair_adjacent([g1, plain, g2, p2, p1])
    assert [i.nodeid for i in ordered] == [p1.nodeid, g1.nodeid, plain.nodeid, p2.nodeid, g2.nodeid]


@pytest.mark.parametrize("body, written", [
    ("label_again[0] = 1", {"label_again"}),
    ("label_again[0] += 1", {"label_again"}),
    ("target = ops.cast(label_again, ms.int32)\n    target[0] = 1", {"label_again"}),
    ("ops.cast(label_again, ms.int32)[0] = 1", {"label_again"}),
    ("label_again += 1", {"label_again"}),
    ("label_again.fill_(0)", {"label_again"}),
    ("target = label_again.astype(ms.int32)\n    target.fill_(0)", {"label_again"}),
    # Look-alikes: reads, rebinds and writes into what no argument carries.
    ("target = label * 2", set()),
    ("logits = logits + 1", set()),
    ("total = logits.sum()\n    total += 1", set()),
    ("buffer = ops.zeros((2,))\n    buffer[0] = 1", set()),
    ("ops.zeros((2,))[0] = 1", set()),
])
def test_which_argument_construct_writes_through(body, written):
    source = f"def construct(self, logits, label, label_again):\n    {body}\n    return logits\n"
    assert written_arguments(ast.parse(source).body[0]) == written
