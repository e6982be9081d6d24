"""bench/decide.py: whether a benchmark's pairs decide a cost goal (pure logic, plain unit tests)."""
import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("decide", Path(__file__).parent.parent / "bench" / "decide.py")
decide = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(decide)


@pytest.mark.parametrize("n, ranks, coverage", [
    (6, (1, 6), 0.96875), (7, (1, 7), 0.984375), (10, (2, 9), 0.978515625),
    (20, (6, 15), 0.9586105346679688), (30, (10, 21), 0.9572260547429323)])
def test_the_median_interval_is_the_binomial_order_statistics(n, ranks, coverage):
    # The textbook ranks (1-based) for a 95% interval of the median; the values are the ranks themselves here.
    values = [float(rank) for rank in range(n, 0, -1)]  # given unsorted
    assert decide.median_interval(values) == (*map(float, ranks), pytest.approx(coverage))


def test_too_few_pairs_give_no_interval():
    assert decide.median_interval([1.0] * 5) is None
    assert decide.median_interval([1.0, 1.1], level=0.5) == (1.0, 1.1, 0.5)


def test_the_verdict_rests_on_the_whole_interval():
    assert decide.verdict([0.99, 1.0, 1.01, 1.0, 1.005, 0.995, 1.015], 1.02).startswith("goal <= 1.02: met ")
    assert decide.verdict([1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09], 1.02).startswith("goal <= 1.02: not met ")
    # A median under the goal whose interval reaches over it decides nothing, nor do five pairs under it.
    wide = decide.verdict([0.92, 0.95, 0.97, 1.0, 1.01, 1.03, 1.05], 1.02)
    assert wide.startswith("goal <= 1.02: not decided by 7 pairs") and "0.920-1.050" in wide
    assert "not decided by 5 pair(s)" in decide.verdict([1.0] * 5, 1.02)


def test_decided_says_nothing_where_the_interval_straddles_the_goal():
    assert decide.decided(0.99, 1.02, 1.02) == "met"
    assert decide.decided(1.021, 1.2, 1.02) == "not met"
    assert decide.decided(0.99, 1.03, 1.02) is None
