"""--ms-report JSON content, outcomes (an interrupted run's too), and the same results under pytest-xdist."""
import json

import pytest

import pytest_msgraph

SUITE = '''
import numpy as np
import pytest
import mindspore as ms
from mindspore import nn, Tensor


@pytest.mark.both_modes
@pytest.mark.parametrize("n", [1, 2])
def test_dense(n):
    assert nn.Dense(3, 2)(Tensor(np.ones((n, 3), np.float32))).shape == (n, 2)


def test_fails():
    assert False


def test_skipped():
    pytest.skip("not today")


@pytest.mark.xfail(reason="known", strict=True)
def test_xfailed():
    assert False


@pytest.mark.xfail(reason="fixed already")
def test_xpassed():
    pass


@pytest.fixture
def broken():
    raise RuntimeError("fixture broke")


def test_error(broken):
    pass


def test_leaks():
    ms.set_context(mode=ms.GRAPH_MODE)
'''


def test_report_has_schema_outcomes_and_modes(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    run = run_pytest()
    report = run.report
    assert report["version"] == 3 and report["generator"] == "pytest-msgraph"
    assert report["plugin_version"] == pytest_msgraph.__version__
    assert report["started"] <= report["finished"] and report["finished"].endswith("Z")
    assert report["mindspore"].startswith("2.")
    assert report["device"] == "CPU"
    assert report["seed"] == 0
    assert set(report["environment"]) == {"python", "platform", "mindspore", "device"}
    assert report["device_id"] is None and report["jit_level"] is None
    assert run.outcomes() == {
        "test_suite.py::test_dense[GRAPH_MODE-1]": "passed",
        "test_suite.py::test_dense[GRAPH_MODE-2]": "passed",
        "test_suite.py::test_dense[PYNATIVE_MODE-1]": "passed",
        "test_suite.py::test_dense[PYNATIVE_MODE-2]": "passed",
        "test_suite.py::test_fails": "failed",
        "test_suite.py::test_skipped": "skipped",
        "test_suite.py::test_xfailed": "xfailed",
        "test_suite.py::test_xpassed": "xpassed",
        "test_suite.py::test_error": "error",
        "test_suite.py::test_leaks": "passed",
    }
    for test in report["tests"]:
        # "values" (issue 42): what a mode pair's variant computed, fingerprinted; only a pair's variants have them.
        assert set(test) - {"values"} == {"nodeid", "outcome", "mode", "device", "duration", "pair", "compiles",
                                          "compile_seconds", "reason"}
        assert ("values" in test) <= bool(test["pair"]), test
        assert (test["reason"] is not None) == (test["outcome"] in ("failed", "error", "skipped", "xfailed"))
        assert isinstance(test["duration"], float) and 0 <= test["duration"] < 60, test
        expected_pair = test["nodeid"].replace("GRAPH_MODE-", "").replace("PYNATIVE_MODE-", "")
        assert test["pair"] == (expected_pair if "test_dense" in test["nodeid"] else None)
        expected = "GRAPH_MODE" if "GRAPH_MODE" in test["nodeid"] or test["nodeid"].endswith("leaks") else "PYNATIVE_MODE"
        assert test["mode"] == expected, test
    assert sum(test["duration"] for test in report["tests"]) > 0  # measured, not a constant
    [finding] = report["findings"]
    assert set(finding) >= {"check", "severity", "nodeid", "mode", "device", "message"}
    assert not list(pytester.path.glob(".msgraph-report.json.*")), "no temporary file left behind"


def test_report_path_directories_are_created(pytester, run_pytest):
    pytester.makepyfile("def test_f(): pass")
    pytester.runpytest_subprocess("--ms-report=out/deep/r.json")
    assert json.loads((pytester.path / "out/deep/r.json").read_text())["tests"][0]["outcome"] == "passed"


def test_xdist_gives_the_same_report_and_summary_as_a_serial_run(pytester, run_pytest):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_suite=SUITE)
    serial = run_pytest()
    parallel = run_pytest("-n", "2")
    assert parallel.timeless_report() == serial.timeless_report()

    def section(run):
        out = run.stdout().splitlines()
        start = next(i for i, line in enumerate(out) if "= msgraph =" in line)
        lines = [line for line in out[start + 1:] if not line.startswith("=")][:5]
        # The compile line holds wall-clock seconds: compare its count only.
        return [line.split(" in ")[0] if line.startswith("compiles:") else line for line in lines]

    assert section(parallel) == section(serial)
    assert "compiles: 2 graphs" in section(serial)


def test_a_crashed_worker_is_named_and_other_results_are_kept(pytester, run_pytest):
    pytest.importorskip("xdist")
    pytester.makepyfile('''
import os
import mindspore

def test_crash():
    os._exit(3)

def test_ok_1():
    pass

def test_ok_2():
    pass
''')
    run = run_pytest("-n", "2")
    outcomes = run.outcomes()
    assert outcomes["test_a_crashed_worker_is_named_and_other_results_are_kept.py::test_crash"] == "failed"
    assert outcomes["test_a_crashed_worker_is_named_and_other_results_are_kept.py::test_ok_1"] == "passed"
    assert outcomes["test_a_crashed_worker_is_named_and_other_results_are_kept.py::test_ok_2"] == "passed"
    assert len(run.report["crashed_workers"]) == 1
    run.result.stdout.fnmatch_lines(["worker crashed: gw*"])


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
