"""A mode_parity failure found at the end of the session (the GRAPH_MODE variant ran before its twin) is a
failure everywhere a user looks: the terminal's counts and summary, the JSON report, the matrix and its baseline,
and --lf's cache."""
import json
import subprocess
import sys

from conftest import CLEAN_AND_NOISY_PAIRS as SUITE
from conftest import NOISY_GRAPH

# Runs every GRAPH_MODE variant before its twin; with the pairing plugin blocked
# (-p no:msgraph-variant-pairing), mode_parity can only compare at the end of the session.
GRAPH_FIRST = '''
def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: "PYNATIVE_MODE" in item.nodeid)
'''


def _terminal_counts(stdout):
    return stdout.strip().splitlines()[-1]


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


def test_last_failed_remembers_a_failure_found_at_the_end(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    pytester.makeconftest(GRAPH_FIRST)
    run_pytest("-p", "no:msgraph-variant-pairing", cache=True)
    cached = json.loads((pytester.path / ".pytest_cache/v/cache/lastfailed").read_text())
    assert NOISY_GRAPH in cached
