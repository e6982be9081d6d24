"""python -m pytest_msgraph.matrix: merging reports (recorded GPU/Ascend ones too), baselines, errors."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_msgraph.matrix import build_matrix, load_report, mark_regressions, to_html, to_markdown

DATA = Path(__file__).parent / "data"
REPORTS = [DATA / f"report-{name}.json" for name in ("cpu", "gpu", "ascend")]


def _matrix(*paths):
    return build_matrix([load_report(str(p)) for p in paths])


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pytest_msgraph.matrix", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_rows_per_test_without_mode_and_columns_per_device_mode_and_level():
    matrix = _matrix(*REPORTS)
    assert [c["key"] for c in matrix["columns"]] == [
        "CPU GRAPH_MODE", "CPU PYNATIVE_MODE", "GPU GRAPH_MODE", "GPU PYNATIVE_MODE",
        "Ascend GRAPH_MODE O2", "Ascend PYNATIVE_MODE",
    ]
    rows = {r["test"]: r["cells"] for r in matrix["rows"]}
    assert set(rows) == {"tests/test_net.py::test_forward[1]", "tests/test_net.py::test_train",
                         "tests/test_net.py::test_select[7]", "tests/test_net.py::test_kernel"}
    assert rows["tests/test_net.py::test_train"]["GPU PYNATIVE_MODE"] == {"outcome": "failed", "checks": ["double_forward"],
                                                                          "reason": "assert 1 == 2"}
    assert rows["tests/test_net.py::test_forward[1]"]["Ascend GRAPH_MODE O2"]["outcome"] == "failed"
    assert rows["tests/test_net.py::test_select[7]"]["CPU GRAPH_MODE"]["checks"] == ["dynamic_shape"]
    assert matrix["totals"]["CPU PYNATIVE_MODE"] == {"passed": 1, "failed": 1, "skipped": 1}
    ascend = next(c for c in matrix["columns"] if c["device"] == "Ascend")
    assert ascend["environments"][0]["platform"] == "linux-aarch64"


def test_formats():
    matrix = _matrix(*REPORTS)
    markdown = to_markdown(matrix)
    assert "| `tests/test_net.py::test_train` | passed | failed (double_forward) [2] |" in markdown
    assert "2. tests/test_net.py::test_train on CPU PYNATIVE_MODE: assert 1 == 2" in markdown
    assert "- Ascend GRAPH_MODE O2: mindspore 2.10.0, python 3.11.7, linux-aarch64" in markdown
    assert '<td class="failed" title="assert 1 == 2">failed (double_forward)</td>' in to_html(matrix)


def test_baseline_marks_regressions_and_sets_the_exit_status(tmp_path):
    old = json.loads(REPORTS[0].read_text())
    old["tests"][3]["outcome"] = "passed"  # test_train passed in PYNATIVE_MODE last release
    (tmp_path / "old.json").write_text(json.dumps(old))
    matrix = _matrix(REPORTS[0])
    found = mark_regressions(matrix, _matrix(tmp_path / "old.json"))
    assert found == [{"test": "tests/test_net.py::test_train", "column": "CPU PYNATIVE_MODE", "outcome": "failed"}]
    done = _cli(REPORTS[0], "--baseline", tmp_path / "old.json")
    assert done.returncode == 1
    assert "failed (double_forward) REGRESSED" in done.stdout
    assert "1 cell(s) passed in the baseline and fail now" in done.stderr
    assert _cli(REPORTS[0], "--baseline", REPORTS[0]).returncode == 0


def test_a_matrix_json_can_be_the_baseline(tmp_path):
    out = tmp_path / "m.json"
    assert _cli(*REPORTS, "--format", "json", "--out", out).returncode == 0
    assert _cli(*REPORTS, "--baseline", out).returncode == 0
    cpu = tmp_path / "cpu-matrix.json"
    assert _cli(REPORTS[0], "--format", "json", "--out", cpu).returncode == 0
    done = _cli(_regressed_now(tmp_path), "--baseline", cpu)  # its outcomes read back from the matrix JSON
    assert done.returncode == 1 and "1 cell(s) passed in the baseline and fail now" in done.stderr


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON"),
    (json.dumps({"version": 1, "tests": []}), "is a report of version 1; this tool reads versions 2 and 3"),
    (json.dumps({"version": 2, "generator": "pytest-msgraph", "tests": [{"outcome": "passed"}], "findings": [],
                 "complete": True}), "tests[0].nodeid is missing"),
    (json.dumps([1, 2]), "is not a pytest-msgraph report"),
])
def test_unmergeable_reports_are_named_and_nothing_is_merged(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    done = _cli(REPORTS[0], bad, "--out", tmp_path / "m.md")
    assert done.returncode == 2
    assert f"msgraph matrix: {bad}" in done.stderr and message in done.stderr
    assert "Nothing was merged." in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "m.md").exists()


def test_missing_file_is_named(tmp_path):
    done = _cli(tmp_path / "nope.json")
    assert done.returncode == 2 and "cannot read" in done.stderr and "nope.json" in done.stderr


def test_runs_split_by_ms_modes_merge_into_the_same_matrix_as_one_full_run(pytester):
    pytester.makepyfile('''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, ops, Tensor

@pytest.mark.both_modes
@pytest.mark.parametrize("n", [1, 2])
def test_dense(n):
    nn.Dense(3, 2)(Tensor(np.ones((n, 3), np.float32)))

@pytest.mark.both_modes
def test_fails_in_graph(ms_mode):
    assert ms_mode == ms.PYNATIVE_MODE

def test_plain():
    pass
''')
    for name, extra in (("full", []), ("graph", ["--ms-modes=graph"]), ("pynative", ["--ms-modes=pynative"])):
        pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--ms-report={name}.json", *extra)
    full = _cli("full.json", "--format", "json", cwd=pytester.path)
    split = _cli("graph.json", "pynative.json", "--format", "json", cwd=pytester.path)
    assert full.returncode == split.returncode == 0
    merged, whole = json.loads(split.stdout), json.loads(full.stdout)
    # A test that is no mode variant runs in both runs: the matrix says so.
    assert [d["test"].split("::")[1] for d in merged.pop("duplicates")] == ["test_plain"]
    assert whole.pop("duplicates") == []
    # mode_parity's pair verdict (one mode raises, its twin passes) needs both variants in one run: only the full
    # run has it. Everything else, outcomes included, is the same.
    failing = next(row for row in whole["rows"] if row["test"].endswith("::test_fails_in_graph"))
    assert failing["cells"]["CPU GRAPH_MODE"]["checks"] == ["mode_parity"]
    failing["cells"]["CPU GRAPH_MODE"]["checks"] = []
    assert merged == whole
    assert "failed" in json.loads(full.stdout)["totals"]["CPU GRAPH_MODE"]


def _report_with(tmp_path, name="crafted.json", **test_fields):
    report = json.loads(REPORTS[0].read_text())
    report["tests"][0].update(test_fields)
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return path


def test_an_unknown_outcome_is_rejected_so_it_never_reaches_html(tmp_path):
    evil = _report_with(tmp_path, outcome='passed"><script>alert(1)</script>')
    done = _cli(evil, "--format", "html")
    assert done.returncode == 2 and "tests[0].outcome" in done.stderr and "expected one of: passed" in done.stderr
    assert "<script>" not in done.stdout


def test_every_text_field_is_escaped_in_html(tmp_path):
    evil = _report_with(tmp_path, nodeid='t.py::test_x[<script>alert(1)</script>"]', device='CPU"><b>')
    done = _cli(evil, "--format", "html")
    assert done.returncode == 0, done.stderr
    assert "<script>" not in done.stdout and '"><b>' not in done.stdout
    assert "&lt;script&gt;" in done.stdout


def test_markdown_escapes_pipes_and_newlines_so_no_cell_is_lost(tmp_path):
    crafted = _report_with(tmp_path, nodeid="t.py::test_x[a|b\nc]", mode="GRAPH_MODE", device="CPU")
    markdown = _cli(crafted).stdout
    row = next(line for line in markdown.splitlines() if "test_x" in line)
    assert "a\\|b c" in row
    cells = [cell for cell in row.replace("\\|", "").split("|")[1:-1]]
    header = markdown.splitlines()[0]
    assert len(cells) == len(header.split("|")[1:-1])


@pytest.mark.parametrize("field, value, message", [
    ("nodeid", None, "tests[0].nodeid is null, expected a string"),
    ("outcome", 1, "tests[0].outcome is 1, expected one of"),
    ("device", {"a": 1}, "tests[0].device is {\"a\": 1}, expected a string or null"),
    ("mode", ["GRAPH_MODE"], "tests[0].mode is [\"GRAPH_MODE\"], expected a string or null"),
])
def test_wrong_typed_test_fields_are_one_line_and_exit_2(tmp_path, field, value, message):
    done = _cli(_report_with(tmp_path, **{field: value}))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("content, message", [
    ({"findings": None}, "findings is null, expected a list of findings"),
    ({"findings": [{"nodeid": None, "check": "c", "message": "m"}]}, "findings[0].nodeid is null, expected a string"),
    ({"environment": "x"}, "environment is \"x\", expected an object"),
    ({"tests": {"a": 1}}, "tests is {\"a\": 1}, expected a list of tests"),
])
def test_wrong_typed_report_fields_are_one_line_and_exit_2(tmp_path, content, message):
    report = json.loads(REPORTS[0].read_text())
    report.update(content)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(report))
    done = _cli(bad)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_deeply_nested_json_is_one_line_and_exit_2(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100000 + "]" * 100000)
    done = _cli(deep)
    assert done.returncode == 2 and "nested too deeply" in done.stderr and "Traceback" not in done.stderr


def test_a_baseline_of_another_shape_is_one_line_and_exit_2(tmp_path):
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": 2, "rows": {"a": 1}, "columns": []}))
    done = _cli(REPORTS[0], "--baseline", other)
    assert done.returncode == 2 and "rows is {\"a\": 1}, expected a list of rows" in done.stderr


@pytest.mark.parametrize("out", ["{tmp}", "{tmp}/missing/m.md"])
def test_a_bad_out_path_is_one_line_and_exit_2(tmp_path, out):
    done = _cli(REPORTS[0], "--out", out.format(tmp=tmp_path))
    assert done.returncode == 2 and "cannot write" in done.stderr and "Traceback" not in done.stderr


# --- a baseline that could compare nothing is refused (issue 29) -----------------------------------

def _variant(tmp_path, name, edit):
    report = json.loads(REPORTS[0].read_text())
    edit(report)
    path = tmp_path / name
    path.write_text(json.dumps(report))
    return path


def _regressed_now(tmp_path):
    """CPU now, with test_forward failing in GRAPH_MODE: a regression against the recorded CPU report."""
    return _variant(tmp_path, "now.json", lambda r: r["tests"][0].update(outcome="failed", reason="boom"))


def _placeholder(report):
    report.update(tests=[], complete=False, interrupted="the run has not finished")


def _all_skipped_unavailable(report):
    report["device_available"] = False
    for test in report["tests"]:
        test.update(outcome="skipped")


@pytest.mark.parametrize("edit, why", [
    (_placeholder, "is incomplete (complete: false: the run has not finished)"),
    (lambda r: r.update(complete=False, interrupted="stopped after the first failure (-x)"), "is incomplete"),
    (lambda r: r.update(tests=[]), "has no tests"),
    (lambda r: r.update(jit_level="O1", tests=[t for t in r["tests"] if t["mode"] == "GRAPH_MODE"]),
     "no column of these reports has a column in the baseline"),
    (lambda r: [t.update(device="GPU") for t in r["tests"]], "no column of these reports has a column"),
    (_all_skipped_unavailable, "baseline: none: no test ran"),
])
def test_a_baseline_that_can_compare_nothing_is_refused_in_one_line_exit_2(tmp_path, edit, why):
    base = _variant(tmp_path, "base.json", edit)
    done = _cli(_regressed_now(tmp_path), "--baseline", base)
    assert done.returncode == 2, done.stderr
    assert why in done.stderr and "baseline refused" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_run_that_checked_nothing_is_refused_against_a_good_baseline(tmp_path):
    """The other side: these reports ran nothing (device unavailable, every test skipped)."""
    now = _variant(tmp_path, "now.json", _all_skipped_unavailable)
    done = _cli(now, "--baseline", REPORTS[0])
    assert done.returncode == 2, done.stderr
    assert "now: none: no test ran" in done.stderr and "baseline refused" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_look_alike_a_complete_baseline_with_the_same_columns_still_finds_the_regression(tmp_path):
    done = _cli(_regressed_now(tmp_path), "--baseline", REPORTS[0])
    assert done.returncode == 1 and "1 cell(s) passed in the baseline and fail now" in done.stderr
    assert "not compared" not in done.stderr


def test_an_incomplete_matrix_as_baseline_is_refused(tmp_path):
    base = _variant(tmp_path, "base.json", lambda r: r.update(complete=False, interrupted="killed"))
    merged = tmp_path / "m.json"
    assert _cli(base, "--format", "json", "--out", merged).returncode == 0
    done = _cli(REPORTS[0], "--baseline", merged)
    assert done.returncode == 2 and "merged from incomplete report(s)" in done.stderr


def test_only_shared_columns_are_compared_and_the_others_are_named(tmp_path):
    # The baseline ran GRAPH_MODE at jit level O1: only PYNATIVE_MODE shares a column with a run without it.
    base = _variant(tmp_path, "base.json", lambda r: r.update(jit_level="O1"))
    now = _variant(tmp_path, "now.json", lambda r: [r["tests"][0].update(outcome="failed", reason="boom"),
                                                    r["tests"][1].update(outcome="failed", reason="boom")])
    done = _cli(now, "--baseline", base)
    assert done.returncode == 1, done.stderr  # test_forward regressed in PYNATIVE_MODE, a compared column
    assert "1 cell(s) passed in the baseline and fail now" in done.stderr
    assert ("not compared with the baseline: CPU GRAPH_MODE (not in the baseline); CPU GRAPH_MODE O1 (in the "
            "baseline only)") in done.stderr
    assert "2 column(s) not compared with the baseline" in done.stdout
    matrix = _matrix(now)
    mark_regressions(matrix, _matrix(base))
    assert matrix["compared"] == 2 and [r["column"] for r in matrix["regressions"]] == ["CPU PYNATIVE_MODE"]


def test_only_a_regression_in_a_column_not_compared_is_named_not_failed(tmp_path):
    base = _variant(tmp_path, "base.json", lambda r: r.update(jit_level="O1"))
    done = _cli(_regressed_now(tmp_path), "--baseline", base)
    assert done.returncode == 0 and "CPU GRAPH_MODE (not in the baseline)" in done.stderr


def test_baseline_refusals_as_pure_logic():
    from pytest_msgraph.matrix.baseline import baseline_refusal, comparison_refusal, not_compared

    report = json.loads(REPORTS[0].read_text())
    assert baseline_refusal(report, "b.json") is None
    assert "is incomplete (complete: false: killed)" in baseline_refusal(
        {**report, "complete": False, "interrupted": "killed"}, "b.json")
    now, then = build_matrix([report]), build_matrix([{**report, "jit_level": "O1"}])
    mark_regressions(now, then)
    assert not_compared(now, then) == [{"column": "CPU GRAPH_MODE", "why": "not in the baseline"},
                                       {"column": "CPU GRAPH_MODE O1", "why": "in the baseline only"}]
    assert comparison_refusal(now, then, "b.json") is None and now["compared"] == 2  # PYNATIVE_MODE: 2 ran
    gpu = build_matrix([{**report, "tests": [{**t, "device": "GPU"} for t in report["tests"]]}])
    mark_regressions(now, gpu)
    assert comparison_refusal(now, gpu, "b.json").startswith("no column of these reports has a column")
    empty = build_matrix([{**report, "tests": []}])
    mark_regressions(now, empty)
    assert comparison_refusal(now, empty, "b.json") == ("the baseline b.json has no tests: a comparison against it "
                                                        "would pass on anything")


def _one_column_report(tests):
    """A CPU report holding ``tests``: (node id, mode, outcome) each."""
    report = json.loads(REPORTS[0].read_text())
    report["findings"] = []
    report["tests"] = [{"nodeid": nodeid, "outcome": outcome, "mode": mode, "device": "CPU", "duration": 0.1,
                        "reason": None if outcome == "passed" else "boom"} for nodeid, mode, outcome in tests]
    return report


def test_a_test_that_passed_and_now_fails_in_another_column_is_a_regression_shown_as_moved():
    # A test that sets GRAPH_MODE in its body passed under GRAPH_MODE; now a fixture raises before the body runs,
    # so its error is filed under PYNATIVE_MODE, a column where the baseline has no verdict for it.
    then = build_matrix([_one_column_report([("t.py::test_sets_graph", "GRAPH_MODE", "passed"),
                                             ("t.py::test_eager", "PYNATIVE_MODE", "passed")])])
    now = build_matrix([_one_column_report([("t.py::test_sets_graph", "PYNATIVE_MODE", "error"),
                                            ("t.py::test_eager", "PYNATIVE_MODE", "passed"),
                                            ("t.py::test_other", "GRAPH_MODE", "passed")])])
    found = mark_regressions(now, then)
    assert found == [{"test": "t.py::test_sets_graph", "column": "CPU PYNATIVE_MODE", "outcome": "error",
                      "moved_from": ["CPU GRAPH_MODE"]}]
    markdown = to_markdown(now)
    assert "| `t.py::test_sets_graph` | - | error REGRESSED (moved from CPU GRAPH_MODE) [1] |" in markdown
    assert "- `t.py::test_sets_graph` on CPU PYNATIVE_MODE: error (passed in the baseline on CPU GRAPH_MODE)" in markdown


def test_look_alikes_of_a_moved_regression_are_not_one():
    then = build_matrix([_one_column_report([("t.py::test_moves", "GRAPH_MODE", "passed"),
                                             ("t.py::test_new_failure", "PYNATIVE_MODE", "failed"),
                                             ("t.py::test_eager", "PYNATIVE_MODE", "passed")])])
    # It passes in its new column; a test that failed already fails again; a test new to the suite fails.
    now = build_matrix([_one_column_report([("t.py::test_moves", "PYNATIVE_MODE", "passed"),
                                            ("t.py::test_new_failure", "GRAPH_MODE", "failed"),
                                            ("t.py::test_brand_new", "PYNATIVE_MODE", "failed"),
                                            ("t.py::test_eager", "GRAPH_MODE", "passed")])])
    assert mark_regressions(now, then) == []


def test_the_gate_exits_1_when_a_test_moved_column_and_fails(tmp_path):
    then = _one_column_report([("t.py::test_sets_graph", "GRAPH_MODE", "passed"),
                               ("t.py::test_eager", "PYNATIVE_MODE", "passed")])
    now = _one_column_report([("t.py::test_sets_graph", "PYNATIVE_MODE", "error"),
                              ("t.py::test_eager", "PYNATIVE_MODE", "passed"),
                              ("t.py::test_eager_graph", "GRAPH_MODE", "passed")])
    (tmp_path / "then.json").write_text(json.dumps(then))
    (tmp_path / "now.json").write_text(json.dumps(now))
    done = _cli(tmp_path / "now.json", "--baseline", tmp_path / "then.json")
    assert done.returncode == 1, done.stderr
    assert "1 cell(s) passed in the baseline and fail now (1 of them in another column than in the baseline)" \
        in done.stderr


SETS_ITS_OWN_MODE = '''
import os
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn


@pytest.fixture
def data():
    if os.environ.get("BREAK_FIXTURE"):
        raise RuntimeError("the data fixture broke")
    return ms.Tensor(np.ones((2, 3), np.float32))


def test_dense_in_graph_mode(data):
    ms.set_context(mode=ms.GRAPH_MODE)  # MindSpore's own way: the body sets the mode
    assert nn.Dense(3, 2)(data).shape == (2, 2)


def test_eager():
    assert nn.Dense(3, 2)(ms.Tensor(np.ones((2, 3), np.float32))).shape == (2, 2)
'''


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_fixture_that_breaks_before_the_body_sets_the_mode_is_a_regression(pytester, run_pytest, monkeypatch,
                                                                               xdist):
    pytester.makepyfile(test_own_mode=SETS_ITS_OWN_MODE)
    then = run_pytest(*xdist, "-p", "no:randomly")
    (pytester.path / "then.json").write_text(json.dumps(then.report))
    assert then.report["tests"][0]["mode"] == "GRAPH_MODE" and then.report["tests"][0]["outcome"] == "passed"
    same = run_pytest(*xdist)  # the look-alike: nothing changed, nothing regressed
    (pytester.path / "same.json").write_text(json.dumps(same.report))
    assert _cli(pytester.path / "same.json", "--baseline", pytester.path / "then.json").returncode == 0
    monkeypatch.setenv("BREAK_FIXTURE", "1")
    now = run_pytest(*xdist)
    (pytester.path / "now.json").write_text(json.dumps(now.report))
    moved = next(t for t in now.report["tests"] if t["nodeid"].endswith("test_dense_in_graph_mode"))
    assert (moved["mode"], moved["outcome"]) == ("PYNATIVE_MODE", "error")  # filed under the session's mode
    done = _cli(pytester.path / "now.json", "--baseline", pytester.path / "then.json")
    assert done.returncode == 1, done.stderr
    assert "error REGRESSED (moved from CPU GRAPH_MODE)" in done.stdout
