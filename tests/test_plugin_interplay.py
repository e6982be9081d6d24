"""Mode pairs beside other pytest plugins: pytest-randomly (its shuffling and reseeding) and
pytest-rerunfailures (each retry compared again, replacing the attempt before)."""
from conftest import CLEAN_AND_NOISY_PAIRS as SUITE
from conftest import NOISY_GRAPH


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


def test_reruns_replace_findings_and_counts_of_the_attempt_before(pytester, run_pytest):
    pytester.makepyfile(test_suite=SUITE)
    once = run_pytest("-k", "noisy")
    rerun = run_pytest("-k", "noisy", "--reruns", "2")
    assert "2 rerun" in rerun.stdout()
    assert rerun.outcomes()[NOISY_GRAPH] == "failed"  # every retry is compared again
    assert len(rerun.findings("mode_parity")) == 1
    assert rerun.report["examined"] == once.report["examined"]
