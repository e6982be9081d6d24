"""Whether a benchmark's pairs decide a cost goal, or do not (pure; no MindSpore, no pytest).

A median of a few pairs' ratios says little on a machine whose runs move by more than the
cost measured: on a 2-core machine one side's wall time moves by 5-10% between runs of the
same suite, and a median of 7 pairs then lands anywhere from 0.95 to 1.05 for the same
code. So a goal is judged on the distribution-free confidence interval of the median
(order statistics of the sorted ratios, binomial coverage): met when the whole interval
is at or under the goal, not met when it is all above, and otherwise not decided by that
many pairs. Fewer than 6 pairs give no 95% interval at all: not decided either.
"""
from __future__ import annotations

from math import comb
from typing import Optional


def median_interval(values: list[float], level: float = 0.95) -> Optional[tuple[float, float, float]]:
    """(low, high, coverage) of the median of ``values``: the widest-inward order statistics whose binomial
    coverage is still at least ``level``; None when even (min, max) covers less."""
    ordered = sorted(values)
    n = len(ordered)
    tail = 0.0  # P(B <= k - 1) for B ~ Binomial(n, 1/2): the chance the median lies below the k-th value
    best = None
    for k in range(1, n // 2 + 1):
        tail += comb(n, k - 1) / 2 ** n
        if 1 - 2 * tail < level:
            break
        best = (ordered[k - 1], ordered[n - k], 1 - 2 * tail)
    return best


def verdict(values: list[float], goal: float, level: float = 0.95) -> str:
    """One line: the goal met, not met, or not decided by these pairs, with the interval it rests on."""
    interval = median_interval(values, level)
    if interval is None:
        return f"goal <= {goal:g}: not decided by {len(values)} pair(s): a {level:.0%} interval needs 6 or more"
    low, high, coverage = interval
    said = decided(low, high, goal) or f"not decided by {len(values)} pairs"
    return f"goal <= {goal:g}: {said} ({coverage:.1%} interval of the median: {low:.3f}-{high:.3f})"


def decided(low: float, high: float, goal: float) -> Optional[str]:
    """"met" when the whole interval is at or under ``goal``, "not met" when all of it is over, else None."""
    return "met" if high <= goal else "not met" if low > goal else None
