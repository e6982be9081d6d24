"""Issue 42: the values a suite computes, fingerprinted into the report and compared by the matrix across
MindSpore releases and devices. The truth across releases: ``x += 1`` on a construct input writes back in
GRAPH_MODE from 2.8 on, not on 2.7.2 (../shared/notes/mindspore-facts.md), so tests/data/values_suite.py's
second call computes 6 on 2.10 and 4 on 2.7.2; its training test computes the same on both. The committed
reports were written by that suite on each release (tests/data/values-ms27.json, values-ms210.json); the live
tests run it on this venv's release and compare with both."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pytest_msgraph.core.fingerprints import fingerprint, parted

DATA = Path(__file__).parent / "data"
COMMITTED = {"2.7.2": DATA / "values-ms27.json", "2.10.0": DATA / "values-ms210.json"}
MOVES = "test_values_suite.py::test_add_one_twice"


def _matrix(*args):
    return subprocess.run([sys.executable, "-m", "pytest_msgraph.matrix", *map(str, args)], capture_output=True,
                          text=True, timeout=120)


# -- the fingerprint (pure) ---------------------------------------------------------------------------------------

def test_values_within_tolerance_are_never_flagged_and_a_difference_of_twenty_tolerances_always_is():
    rng = np.random.default_rng(1)
    flagged = missed = 0
    for _ in range(300):
        a = rng.standard_normal(500).astype(np.float32)
        noise = rng.uniform(-1, 1, 500).astype(np.float32) * (1e-5 + 1e-4 * np.abs(a))
        flagged += parted(fingerprint(a, "Float32"), fingerprint(a + noise, "Float32")) is not None
        tol = 1e-5 * np.sqrt(500) + 1e-4 * np.linalg.norm(a)
        away = rng.standard_normal(500)
        missed += parted(fingerprint(a, "Float32"),
                         fingerprint(a + away / np.linalg.norm(away) * 20 * tol, "Float32")) is None
    assert flagged == 0 and missed == 0, (flagged, missed)


def test_one_element_shape_dtype_and_non_finite_values_part():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = x.copy()
    y[2, 3] += 0.5
    assert parted(fingerprint(x, "Float32"), fingerprint(y, "Float32"))["why"] == "values"
    assert parted(fingerprint(x, "Float32"), fingerprint(x.reshape(4, 3), "Float32"))["why"] == "shape"
    assert parted(fingerprint(x, "Float32"), fingerprint(x, "Float16"))["why"] == "dtype"
    y[0, 0] = np.nan
    assert parted(fingerprint(x, "Float32"), fingerprint(y, "Float32"))["why"] == "nonfinite"
    assert parted(fingerprint(x.astype(np.int32), "Int32"), fingerprint(x.astype(np.int32) + 1, "Int32"))


def test_integers_part_on_one_changed_value_and_not_on_a_float_sum_taken_in_another_order():
    labels = np.random.default_rng(3).integers(0, 10000, size=1_000_000).astype(np.int64)
    printed = fingerprint(labels, "Int64")
    # The same integers summed in another order: float64 sums that differ in their last bits.
    reordered = {**printed, "norm": printed["norm"] * (1 + 1e-15),
                 "projections": [p * (1 + 1e-12) + 1e-9 for p in printed["projections"]]}
    assert parted(printed, reordered) is None
    for index in (0, 123_456, 999_999):  # one label changed by 1, anywhere
        changed = labels.copy()
        changed[index] += 1
        assert parted(printed, fingerprint(changed, "Int64"))["why"] == "values"
    stamps = np.arange(1_700_000_000_000, 1_700_000_001_000, dtype=np.int64)  # timestamps: a norm of about 5e13
    later = stamps.copy()
    later[500] += 1
    assert parted(fingerprint(stamps, "Int64"), fingerprint(later, "Int64"))["why"] == "values"


def test_a_fingerprint_is_small_whatever_the_tensor():
    small = len(json.dumps(fingerprint(np.ones(3, np.float32), "Float32")))
    large = len(json.dumps(fingerprint(np.ones((2000, 2000), np.float32), "Float32")))
    assert large < 400 and abs(large - small) < 40, (small, large)


def test_a_wider_tolerance_for_a_dtype_is_heard():
    x = np.ones(100, np.float16)
    y = x + np.float16(0.05)
    assert parted(fingerprint(x, "Float16"), fingerprint(y, "Float16")) is not None
    assert parted(fingerprint(x, "Float16"), fingerprint(y, "Float16"), {"Float16": (0.1, 0.01)}) is None


# -- the committed reports: 2.7.2 against 2.10.0 -------------------------------------------------------------------

def test_the_matrix_of_two_releases_shows_the_x_plus_one_test_and_nothing_else():
    done = _matrix(COMMITTED["2.7.2"], COMMITTED["2.10.0"], "--format", "json")
    matrix = json.loads(done.stdout)
    assert [(d["test"], d["column"], d["at"]) for d in matrix["value_differences"]] == [
        (MOVES, "CPU GRAPH_MODE (MindSpore 2.10.0)", "call 2 AddOne output")]
    assert done.returncode == 0 and not matrix["values_not_compared"]
    assert _matrix(COMMITTED["2.7.2"], COMMITTED["2.10.0"], "--fail-on-values").returncode == 1
    markdown = _matrix(COMMITTED["2.7.2"], COMMITTED["2.10.0"]).stdout
    assert "VALUES PART" in markdown and "first at `call 2 AddOne output`: values differ by about 0.333" in markdown


def test_the_baseline_gate_on_values_fails_on_an_upgrade_that_moves_them():
    done = _matrix(COMMITTED["2.10.0"], "--baseline", COMMITTED["2.7.2"], "--values")
    assert done.returncode == 1, done.stderr
    assert "1 cell(s) compute other values than in the baseline" in done.stderr
    assert f"`{MOVES}` on CPU GRAPH_MODE against the baseline: first at `call 2 AddOne output`" in done.stdout
    assert _matrix(COMMITTED["2.10.0"], "--values").returncode == 2  # no baseline: a usage error, said


def test_a_test_the_baseline_lacks_is_no_crash_of_the_values_gate(tmp_path):
    older = json.loads(COMMITTED["2.7.2"].read_text())
    older["tests"] = [t for t in older["tests"] if "test_train" not in t["nodeid"]]
    (tmp_path / "older.json").write_text(json.dumps(older))
    done = _matrix(COMMITTED["2.10.0"], "--baseline", tmp_path / "older.json", "--values")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "`test_values_suite.py::test_train`" in done.stdout  # a row the baseline does not match, listed


def test_a_test_without_values_in_a_compared_column_is_named(tmp_path):
    newer = json.loads(COMMITTED["2.10.0"].read_text())
    lacking = next(t for t in newer["tests"] if t["nodeid"].startswith(MOVES) and "GRAPH_MODE" in t["nodeid"])
    lacking.pop("values")  # as a run with that test marked ms_no_values writes it
    (tmp_path / "newer.json").write_text(json.dumps(newer))
    done = _matrix(COMMITTED["2.7.2"], tmp_path / "newer.json", "--format", "json")
    matrix = json.loads(done.stdout)
    assert matrix["tests_not_compared_by_value"] == [
        {"test": MOVES, "mode": "GRAPH_MODE", "why": "no values in CPU GRAPH_MODE (MindSpore 2.10.0)"}]
    assert matrix["value_differences"] == [] and not matrix["values_not_compared"]  # the row is said, not passed
    markdown = _matrix(COMMITTED["2.7.2"], tmp_path / "newer.json").stdout
    assert ("**1 test(s) ran in columns compared by value but hold no values of their own there:**\n\n"
            f"- `{MOVES}` (GRAPH_MODE): no values in CPU GRAPH_MODE (MindSpore 2.10.0)") in markdown
    assert _matrix(COMMITTED["2.7.2"], COMMITTED["2.10.0"], "--format", "json").returncode == 0
    assert json.loads(_matrix(COMMITTED["2.7.2"], COMMITTED["2.10.0"], "--format", "json").stdout)[
        "tests_not_compared_by_value"] == []


def test_a_report_without_values_still_merges_and_says_which_columns_were_not_compared(tmp_path):
    old = json.loads(COMMITTED["2.10.0"].read_text())  # as an older release of the plugin wrote it, on a GPU
    old["version"], old["device"] = 2, "GPU"
    for test in old["tests"]:
        test.pop("values", None)
        test["device"] = "GPU"
    (tmp_path / "old.json").write_text(json.dumps(old))
    matrix = json.loads(_matrix(COMMITTED["2.10.0"], tmp_path / "old.json", "--format", "json").stdout)
    assert {c["column"]: c["why"] for c in matrix["values_not_compared"]} == {
        f"GPU {mode}": "its reports hold no values (a version 2 report, or --ms-values off)"
        for mode in ("GRAPH_MODE", "PYNATIVE_MODE")}
    old["device"] = "CPU"
    for test in old["tests"]:
        test["device"] = "CPU"
    (tmp_path / "old.json").write_text(json.dumps(old))
    refused = _matrix(COMMITTED["2.10.0"], "--baseline", tmp_path / "old.json", "--values")
    assert refused.returncode == 2 and "nothing could be compared by value" in refused.stderr


def test_a_bad_tolerance_is_one_line_naming_it():
    done = _matrix(COMMITTED["2.10.0"], "--values-tolerance", "Float16=a,b")
    assert done.returncode == 2 and "'Float16=a,b' is not DTYPE=RTOL,ATOL" in done.stderr
    assert "Traceback" not in done.stderr


# -- live: this venv's release against the committed reports ----------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The suite run here with --ms-report, serially and under -n 2 (values come back from the workers)."""
    where = tmp_path_factory.mktemp("values")
    shutil.copy(DATA / "values_suite.py", where / "test_values_suite.py")
    reports = {}
    for name, extra in (("serial", ["-p", "no:xdist"]), ("xdist", ["-n", "2"])):
        report = where / f"{name}.json"
        subprocess.run([sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", *extra,
                        "--ms-check", "mode_parity=warn", "--ms-check", "input_mutation=warn",
                        f"--ms-report={report}", "test_values_suite.py"], cwd=where, capture_output=True, timeout=600)
        reports[name] = report
    return reports


def test_this_release_computes_what_its_committed_report_says_and_the_other_release_does_not(live):
    from importlib import metadata

    version = metadata.version("mindspore")  # not imported here: MindSpore does not survive a re-import in-process
    mine = COMMITTED.get(version)
    if mine is None:
        pytest.skip(f"no committed report of MindSpore {version} (tests/data has 2.7.2 and 2.10.0)")
    other = next(path for version, path in COMMITTED.items() if path != mine)
    same = _matrix(live["serial"], "--baseline", mine, "--values")
    assert same.returncode == 0, same.stdout + same.stderr
    moved = _matrix(live["serial"], "--baseline", other, "--values", "--format", "json")
    assert moved.returncode == 1
    assert [(d["test"], d["at"]) for d in json.loads(moved.stdout)["value_regressions"]] == [
        (MOVES, "call 2 AddOne output")]


def test_two_runs_of_one_release_part_nowhere_and_xdist_records_what_a_serial_run_does(live):
    serial, xdist = (json.loads(live[name].read_text()) for name in ("serial", "xdist"))
    values = {name: {t["nodeid"]: t.get("values") for t in report["tests"]}
              for name, report in (("serial", serial), ("xdist", xdist))}
    assert values["serial"] == values["xdist"] and all(values["serial"].values()), values
    assert _matrix(live["xdist"], "--baseline", live["serial"], "--values").returncode == 0


def test_values_off_marked_out_or_skipped_by_pattern_are_not_recorded(pytester, run_pytest):
    pytester.makepyfile(test_values_suite=(DATA / "values_suite.py").read_text().replace(
        "@pytest.mark.both_modes\ndef test_train", "@pytest.mark.both_modes\n@pytest.mark.ms_no_values\ndef test_train"))
    pytester.makeini("[pytest]\nms_values_skip =\n    call 1 *\n")
    run = run_pytest("--ms-check", "mode_parity=warn", "--ms-check", "input_mutation=warn")
    recorded = {t["nodeid"]: t.get("values") for t in run.report["tests"]}
    assert recorded[f"{MOVES}[GRAPH_MODE]"].keys() == {"call 2 AddOne output"}
    assert recorded["test_values_suite.py::test_train[GRAPH_MODE]"] is None
    off = run_pytest("--ms-values=off", "--ms-check", "mode_parity=warn", "--ms-check", "input_mutation=warn")
    assert not [t for t in off.report["tests"] if t.get("values")]


def test_a_bad_ms_values_is_a_usage_error(pytester, usage_error):
    pytester.makepyfile(test_values_suite=(DATA / "values_suite.py").read_text())
    usage_error("--ms-values=maybe", message="msgraph: --ms-values / ms_values 'maybe' is not valid; valid choices: "
                                             "on, off.")


def test_calls_with_mindspore_random_ops_are_left_out_in_every_column_of_their_row():
    """Their streams differ from one process to the next even from one seed (two runs of examples/ on 2.10 CPU
    differed at test_mindspore_random_op_draws_fresh_noise's first call): the GRAPH_MODE side flags them, and the
    matrix leaves that call out for both modes; the call after it is still compared."""
    from pytest_msgraph.matrix.values import compare_columns

    def cell(noise, after, random):
        drawn = {**fingerprint(np.full(4, noise, np.float32), "Float32"), **({"random": True} if random else {})}
        return {"outcome": "passed", "values": {"call 1 Noisy output": drawn,
                                                "call 2 Dense output": fingerprint(np.full(4, after, np.float32),
                                                                                   "Float32")}}

    columns = [{"key": f"CPU {mode} (MindSpore {release})", "mode": mode}
               for mode in ("GRAPH_MODE", "PYNATIVE_MODE") for release in ("2.7.2", "2.10.0")]
    row = {"test": "t.py::test_noise", "cells": {
        columns[0]["key"]: cell(1.0, 5.0, True), columns[1]["key"]: cell(2.0, 5.0, True),
        columns[2]["key"]: cell(3.0, 5.0, False), columns[3]["key"]: cell(4.0, 5.0, False)}}
    matrix = {"columns": columns, "rows": [row]}
    compare_columns(matrix)
    assert matrix["value_differences"] == []
    row["cells"][columns[3]["key"]] = cell(4.0, 6.0, False)
    compare_columns(matrix)
    assert [(d["column"], d["at"]) for d in matrix["value_differences"]] == [(columns[3]["key"], "call 2 Dense output")]


def test_the_release_workflow_merges_what_its_jobs_write_and_gates_on_values():
    """examples/ci/msgraph-releases.yml, read as data: each job's report is one the merge and the gate name."""
    yaml = pytest.importorskip("yaml", reason="reading the workflow needs PyYAML")
    workflow = yaml.safe_load((DATA.parent.parent / "examples" / "ci" / "msgraph-releases.yml").read_text())
    names = [entry["name"] for entry in workflow["jobs"]["suite"]["strategy"]["matrix"]["include"]]
    steps = " ".join(step.get("run", "") for step in workflow["jobs"]["matrix"]["steps"])
    assert all(f"report-{name}.json" in steps for name in names), (names, steps)
    assert "--baseline report-ms27.json --values" in steps and "--ms-modes" not in str(workflow)
