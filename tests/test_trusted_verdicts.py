"""Verdicts off the happy path: stacked plugins, interruptions, bad paths (issue 9).

Every test drives the plugin as users do, in a fresh interpreter, and checks that
the terminal, the JSON report and the matrix agree on each test's outcome.
"""
import json
import os
import stat
import subprocess
import sys

import pytest

# A clean network fed np.random inputs, and one whose construct freezes numpy noise in GRAPH_MODE.
SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


class Noisy(nn.Cell):
    def construct(self, x):
        return x + ms.Tensor(np.random.randn(*x.shape).astype(np.float32))


@pytest.mark.both_modes
def test_clean():
    nn.Dense(3, 2)(Tensor(np.random.randn(2, 3).astype(np.float32)))


@pytest.mark.both_modes
def test_noisy():
    net, x = Noisy(), Tensor(np.zeros(4, np.float32))
    net(x)
    net(x)
'''

# Runs every GRAPH_MODE variant before its twin; with the pairing plugin blocked
# (-p no:msgraph-variant-pairing), mode_parity can only compare at the end of the session.
GRAPH_FIRST = '''
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: "PYNATIVE_MODE" in item.nodeid)
'''

NOISY_GRAPH = "test_suite.py::test_noisy[GRAPH_MODE]"


def _terminal_counts(stdout):
    return stdout.strip().splitlines()[-1]


def test_pytest_randomly_keeps_both_variants_on_the_plugin_seed(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    run = run_pytest(randomly=True)
    assert "Using --randomly-seed" in run.stdout()  # randomly is on and still shuffles
    assert run.outcomes()["test_suite.py::test_clean[GRAPH_MODE]"] == "passed", run.stdout()
    assert run.outcomes()[NOISY_GRAPH] == "failed"
    assert [f["nodeid"] for f in run.findings("mode_parity")] == [NOISY_GRAPH]


def test_without_the_seeder_randomly_breaks_the_clean_pair(pytester, run_pytest):
    # The look-alike: the same run with the plugin's reseeding undone proves the test above can fail.
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest('''
import pytest_msgraph.mindspore_side.seeding as seeding
seeding.reseed_after_randomly = lambda seed: None


def pytest_configure(config):
    import pytest_randomly
    pytest_randomly.entrypoint_reseeds = []
''')
    run = run_pytest(randomly=True)
    assert run.outcomes()["test_suite.py::test_clean[GRAPH_MODE]"] == "failed"


def test_end_of_session_comparison_fails_the_test_everywhere(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(GRAPH_FIRST)
    run = run_pytest("-p", "no:msgraph-variant-pairing")
    assert run.ret == 1
    assert run.outcomes()[NOISY_GRAPH] == "failed"
    assert run.outcomes()["test_suite.py::test_clean[GRAPH_MODE]"] == "passed"
    stdout = run.stdout()
    assert _terminal_counts(stdout).startswith("=") and "1 failed, 3 passed" in _terminal_counts(stdout)
    assert f"FAILED {NOISY_GRAPH}" in stdout
    assert "found at the end of the session" in stdout
    matrix = subprocess.run([sys.executable, "-m", "pytest_msgraph.matrix", "msgraph-report.json", "--format", "json"],
                            cwd=pytester.path, capture_output=True, text=True)
    rows = {row["test"]: row["cells"] for row in json.loads(matrix.stdout)["rows"]}
    assert rows["test_suite.py::test_noisy"]["CPU GRAPH_MODE"]["outcome"] == "failed"


def test_baseline_catches_a_regression_found_at_the_end_of_the_session(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(GRAPH_FIRST)
    run_pytest("-p", "no:msgraph-variant-pairing", "--ms-check", "mode_parity=off")
    (pytester.path / "msgraph-report.json").rename(pytester.path / "before.json")
    run_pytest("-p", "no:msgraph-variant-pairing")
    done = subprocess.run([sys.executable, "-m", "pytest_msgraph.matrix", "msgraph-report.json",
                           "--baseline", "before.json"], cwd=pytester.path, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "`test_suite.py::test_noisy` on CPU GRAPH_MODE: failed" in done.stdout


def test_pairs_stay_together_in_random_order_so_the_graph_variant_fails_itself(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    run = run_pytest(randomly=True)
    assert run.outcomes()[NOISY_GRAPH] == "failed"
    assert "found at the end of the session" not in run.stdout()  # compared in-process, at once


def test_last_failed_reruns_the_twin_and_fails_again(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    first = run_pytest(cache=True)
    assert first.outcomes()[NOISY_GRAPH] == "failed"
    again = run_pytest("--lf", cache=True)
    assert again.ret == 1
    assert again.outcomes() == {NOISY_GRAPH: "failed", "test_suite.py::test_noisy[PYNATIVE_MODE]": "passed"}


def test_last_failed_remembers_a_failure_found_at_the_end(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(GRAPH_FIRST)
    run_pytest("-p", "no:msgraph-variant-pairing", cache=True)
    cached = json.loads((pytester.path / ".pytest_cache/v/cache/lastfailed").read_text())
    assert NOISY_GRAPH in cached


def test_reruns_replace_findings_and_counts_of_the_attempt_before(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    once = run_pytest("-k", "noisy")
    rerun = run_pytest("-k", "noisy", "--reruns", "2")
    assert "2 rerun" in rerun.stdout()
    assert rerun.outcomes()[NOISY_GRAPH] == "failed"  # every retry is compared again
    assert len(rerun.findings("mode_parity")) == 1
    assert rerun.report["examined"] == once.report["examined"]


@pytest.mark.parametrize("body, reason", [
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("pytest.exit('stop here')", "Exit: stop here"),
])
def test_an_interrupted_test_is_not_recorded_as_passed(pytester, run_pytest, body, reason):
    pytester.makepyfile(test_stop=f'''
import pytest
import mindspore


def test_before():
    pass


def test_stops():
    {body}


def test_never_started():
    pass
''')
    run = run_pytest()
    assert run.outcomes() == {"test_stop.py::test_before": "passed", "test_stop.py::test_stops": "interrupted",
                              "test_stop.py::test_never_started": "not run"}
    assert run.report["complete"] is False and reason in run.report["interrupted"]
    assert "run incomplete" in run.stdout()


def test_a_complete_run_says_so(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + "\ndef test_ok():\n    pass\n")
    run = run_pytest()
    assert run.report["complete"] is True and run.report["interrupted"] is None


def test_worker_internal_error_under_xdist_records_the_test_interrupted(pytester, run_pytest):
    pytester.makeconftest('''
import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if item.name == "test_boom" and call.when == "call":
        report.unsendable = object()  # execnet cannot send it: the worker dies in INTERNALERROR
    return report
''')
    pytester.makepyfile(test_i='''
import mindspore


def test_boom():
    assert False
''')
    run = run_pytest("-n", "1")
    assert run.outcomes()["test_i.py::test_boom"] == "interrupted"
    assert run.report["complete"] is False and "DumpError" in run.report["interrupted"]


CUSTOM_CHECK = '''
import numpy as np
from pytest_msgraph import Check


class NumpyCheck(Check):
    name = "numpy_payloads"
    default_policy = "warn"

    def test_finished(self, run):
        run.record({"value": np.float64(1.5), "shape": np.array([2, 3])})
        run.emit("numpy details", score=np.float32(0.25), where=np.arange(2), flag=np.bool_(True))

    def compare(self, records, emit):
        emit(f"saw {[r['value'] for r in records]}", nodeid=records[0]["nodeid"])


def pytest_msgraph_register_checks(registry, config):
    registry.add(NumpyCheck())
'''


def test_custom_check_numpy_data_is_plain_json_serial_and_under_xdist(pytester, run_pytest, net_source):
    pytester.makeconftest(CUSTOM_CHECK)
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n\n\ndef test_b():\n    pass\n")
    serial, parallel = run_pytest(), run_pytest("-n", "2")
    assert serial.ret == parallel.ret == 0, parallel.stdout()
    assert "INTERNALERROR" not in parallel.stdout() + parallel.stderr()
    for run in (serial, parallel):
        assert sorted(run.outcomes().values()) == ["passed", "passed"]
    details = [(f["message"], f.get("score"), f.get("where"), f.get("flag")) for f in serial.findings("numpy_payloads")]
    assert ("numpy details", 0.25, [0, 1], True) in details
    assert ("saw [1.5, 1.5]", None, None, None) in details
    assert serial.findings("numpy_payloads") == parallel.findings("numpy_payloads")


def test_unittest_class_under_both_modes_is_a_collection_error(pytester, run_pytest):
    pytester.makepyfile(test_case='''
import unittest
import pytest


@pytest.mark.both_modes
class TestNet(unittest.TestCase):
    def test_x(self):
        pass
''')
    run = run_pytest()
    assert run.ret == 2
    assert "@pytest.mark.both_modes cannot split a unittest.TestCase class" in run.stdout()
    assert "Traceback" not in run.stdout()


def test_unittest_class_under_both_modes_all_is_warned_and_still_runs(pytester, run_pytest):
    pytester.makepyfile(test_case='''
import unittest


class TestNet(unittest.TestCase):
    def test_x(self):
        pass


def test_fn():
    pass
''')
    run = run_pytest("--ms-both-modes=all")
    assert run.ret == 0
    assert "TestNet is a unittest.TestCase: --ms-both-modes=all cannot split it" in run.stdout()
    assert set(run.outcomes()) == {"test_case.py::TestNet::test_x", "test_case.py::test_fn[PYNATIVE_MODE]",
                                   "test_case.py::test_fn[GRAPH_MODE]"}


# --- the report file -----------------------------------------------------------------------------

def _under_a_file(root):
    (root / "afile").write_text("x")
    return root / "afile" / "r.json"


@pytest.mark.parametrize("make, message", [
    (lambda root: root, "is a folder"),
    (_under_a_file, "is a file, so"),
    (lambda root: "/proc/msgraph/r.json", "cannot create files in /proc"),
])
def test_an_unwritable_report_path_is_a_usage_error_before_any_test(pytester, usage_error, make, message):
    pytester.makepyfile("def test_a():\n    pass\n")
    path = make(pytester.path)
    usage_error(f"--ms-report={path}", message=message)


def test_a_report_that_fails_at_the_end_loses_no_other_output(pytester, run_pytest):
    pytester.makepyfile(test_gone='''
import shutil
import mindspore


def test_removes_the_report_folder(pytestconfig):
    shutil.rmtree(pytestconfig.rootpath / "out")
    (pytestconfig.rootpath / "out").write_text("now a file")


def test_fails():
    assert 1 == 2
''')
    (pytester.path / "out").mkdir()
    run = run_pytest("--ms-report=out/r.json", report=False)
    stdout = run.stdout()
    assert run.ret == 1
    assert "msgraph: could not write the report to" in stdout
    assert "FAILURES" in stdout and "assert 1 == 2" in stdout
    assert "= msgraph =" in stdout and "examined nothing: " in stdout  # the msgraph section
    assert "1 failed, 1 passed" in stdout
    assert "Traceback" not in stdout + run.stderr()


def test_the_report_honours_the_umask_and_never_replaces_a_non_regular_file(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n")
    old = os.umask(0o022)
    try:
        run = run_pytest()
        link = pytester.path / "devnull-link.json"
        link.symlink_to("/dev/null")
        through = run_pytest(f"--ms-report={link}", report=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((pytester.path / "msgraph-report.json").stat().st_mode) == 0o644
    assert through.ret == 0 and run.ret == 0
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_ini_report_path_resolves_against_rootdir(pytester, monkeypatch, net_source):
    pytester.makeini("[pytest]\nms_report = reports/r.json\n")
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n")
    sub = pytester.mkdir("sub")
    monkeypatch.chdir(sub)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", str(pytester.path))
    assert result.ret == 0
    assert (pytester.path / "reports" / "r.json").exists()
    assert not (sub / "reports").exists()


# --- small ones -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--ms-device="], "--ms-device was given an empty value"),
    (["--ms-report="], "--ms-report was given an empty value"),
    (["--ms-parity-rtol=inf"], "'inf' is not a tolerance; give a finite number"),
    (["--ms-parity-atol=nan"], "'nan' is not a tolerance; give a finite number"),
])
def test_empty_and_non_finite_values_are_usage_errors(pytester, usage_error, args, message):
    pytester.makepyfile("def test_a():\n    pass\n")
    usage_error(*args, message=message)


def test_bad_platform_marks_ini_names_the_key(pytester, usage_error):
    pytester.makeini("[pytest]\nms_platform_marks = maybe\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    usage_error(message="ms_platform_marks")


def test_bad_ms_device_mark_is_reported_once(pytester, run_pytest):
    pytester.makepyfile('''
import pytest


@pytest.mark.ms_device("TPU")
def test_a():
    pass
''')
    run = run_pytest()
    assert run.ret == 2
    assert "During handling of the above exception" not in run.stdout()
    shown = [line for line in run.stdout().splitlines() if "got 'TPU'" in line and not line.startswith("ERROR ")]
    assert len(shown) == 1  # the error section holds it once (the short summary line aside): no chained copy


def test_one_selected_mode_counts_no_skipped_variant_in_the_other(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + "\n@pytest.mark.both_modes\ndef test_a():\n    pass\n")
    run = run_pytest("--ms-modes=GRAPH_MODE")
    assert ": 1 test in GRAPH_MODE, 1 skipped" in run.stdout()
    assert "in PYNATIVE_MODE" not in run.stdout()


def test_unavailable_device_skip_reason_does_not_advise_the_flag_in_use(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n")
    run = run_pytest("--ms-device=Ascend", "--ms-device-unavailable=skip", "-rs")
    assert "--ms-device=Ascend is not available" in run.stdout()
    assert "pass --ms-device-unavailable=skip" not in run.stdout()
