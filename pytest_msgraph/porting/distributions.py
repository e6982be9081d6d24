"""Do two freshly initialised tensors come from the same initialiser? (pure numpy)

Constants must be equal. Otherwise three tests, each with a false-alarm rate under
1e-6 for one pair of tensors of the same initialiser (``tests/test_porting_parity.py``
measures 200 seeds of nine layer kinds):

- the two-sample Kolmogorov-Smirnov distance, against ``c * sqrt((n + m) / (n * m))``
  with ``c = 2.8`` (asymptotically ``2 * exp(-2 c^2)``, 3e-7; ``c = 2.5`` gave one
  false alarm in 39,000 comparisons of agreeing layers, a conv1d weight at 0.188
  against 0.180, too many for a suite that checks a model per test);
- the ratio of the standard deviations, beyond five standard errors of its logarithm
  and beyond 10%;
- the bounds of two bounded (uniform-like) samples of 50 values or more, 25% apart.

The KS distance of a large tensor is taken on 20,000 evenly spaced values of it: the
values of a fresh initialisation are independent, so any subset is a sample as good,
and the test stays sensitive (its threshold is then 0.028) at a fraction of the sort.

Below ``MIN_DISTRIBUTION`` values a side these tests have no power (the KS threshold is
1 or more under 16 values, the std ratio needs 3.6x at 16), and one value is always "a
constant": a ``Dense(64, 1)`` bias failed on every seed. There only bounds are compared:
every MindSpore value must lie within PyTorch's documented range for the parameter; with
no documented range, nothing is compared, and the result says so.
"""
from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

KS_C = 2.8
STD_SIGMAS = 5.0
KS_SAMPLE = 20_000
MIN_DISTRIBUTION = 20
BOUNDED = 2.2  # max |x| / std: a uniform sample has sqrt(3) = 1.73, a normal one of 30+ values more than this

Array = np.ndarray[Any, Any]


def summary_statistics(values: Array) -> dict[str, float]:
    flat = values.astype(np.float64).ravel()
    return {"mean": float(flat.mean()), "std": float(flat.std()), "min": float(flat.min()), "max": float(flat.max())}


def _sample(values: Array) -> Array:
    flat = values.ravel()
    return flat[:: flat.size // KS_SAMPLE + 1] if flat.size > KS_SAMPLE else flat


def ks_distance(a: Array, b: Array) -> float:
    """The largest gap between the two empirical distribution functions."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    points = np.concatenate([a, b])
    return float(np.abs(np.searchsorted(a, points, side="right") / a.size
                        - np.searchsorted(b, points, side="right") / b.size).max())


def ks_threshold(n: int, m: int) -> float:
    return KS_C * math.sqrt((n + m) / (n * m))


def _constant(values: Array) -> bool:
    return bool(values.size) and bool(np.all(values == values.flat[0]))


def _bounded(values: Array, stats: dict[str, float], minimum: int = 50) -> bool:
    return (values.size >= minimum and stats["std"] > 0
            and max(abs(stats["min"]), abs(stats["max"])) <= BOUNDED * stats["std"])


Range = tuple[float, float]


def outside(values: Array, bounds: Range) -> Optional[str]:
    """Which of ``values`` lie outside ``bounds`` (float32 rounding of the bound allowed), in words."""
    low, high = bounds
    slack = 1e-6 * max(abs(low), abs(high), 1e-30)
    flat = values.astype(np.float64).ravel()
    out = flat[(flat < low - slack) | (flat > high + slack)]
    if not out.size:
        return None
    return f"{out.size} of {flat.size} value(s) outside PyTorch's range [{low:.4g}, {high:.4g}] (such as {out[0]:.4g})"


def comparison(ms_values: Array, torch_values: Array, torch_range: Optional[Range] = None) -> tuple[Optional[str], str]:
    """(why the two initialisations differ or None, what was compared: distribution, bounds or nothing)."""
    a, b = ms_values.astype(np.float64).ravel(), torch_values.astype(np.float64).ravel()
    if a.size == 0 or b.size == 0:
        return None, "nothing"
    if _constant(a) and _constant(b) and a[0] == b[0]:
        return None, "distribution"  # equal constants (zeros, ones) say the same at any size
    if min(a.size, b.size) < MIN_DISTRIBUTION:
        if min(a.size, b.size) > 1 and _constant(a) != _constant(b):  # one value is a constant of any kind
            return "one side is a constant and the other is not", "bounds"
        return (None, "nothing") if torch_range is None else (outside(a, torch_range), "bounds")
    return distribution_difference(a, b), "distribution"


def distribution_difference(ms_values: Array, torch_values: Array) -> Optional[str]:
    """Why the two initialisations differ, in words; None when they may well be the same initialiser."""
    a, b = ms_values.astype(np.float64).ravel(), torch_values.astype(np.float64).ravel()
    if a.size == 0 or b.size == 0:
        return None
    if _constant(a) or _constant(b):
        if _constant(a) and _constant(b) and a[0] == b[0]:
            return None
        return "one side is a constant and the other is not the same constant"
    sample_a, sample_b = _sample(a), _sample(b)
    distance, limit = ks_distance(sample_a, sample_b), ks_threshold(sample_a.size, sample_b.size)
    if distance > limit:
        return f"KS distance {distance:.3f} (above {limit:.3f} for these sizes)"
    sa, sb = summary_statistics(a), summary_statistics(b)
    if sa["std"] > 0 and sb["std"] > 0:
        spread = math.sqrt(1 / (2 * max(a.size - 1, 1)) + 1 / (2 * max(b.size - 1, 1)))
        ratio = sa["std"] / sb["std"]
        if abs(math.log(ratio)) > max(STD_SIGMAS * spread, math.log(1.1)):
            return f"std ratio {ratio:.3g} (MindSpore / PyTorch)"
    if _bounded(a, sa) and _bounded(b, sb):
        bound_a, bound_b = max(abs(sa["min"]), abs(sa["max"])), max(abs(sb["min"]), abs(sb["max"]))
        if max(bound_a, bound_b) > 1.25 * min(bound_a, bound_b):
            return f"bounds +-{bound_a:.3g} against +-{bound_b:.3g}"
    return None


def inferred_initializer(values: Array) -> str:
    """The MindSpore initializer that draws like ``values`` (a PyTorch tensor fresh from its initialiser)."""
    flat = values.astype(np.float64).ravel()
    if _constant(flat):
        value = float(flat[0])
        return {0.0: '"zeros"', 1.0: '"ones"'}.get(value, repr(value))
    stats = summary_statistics(flat)
    if _bounded(flat, stats, minimum=8) and abs(stats["mean"]) < 0.2 * stats["std"]:
        return f"Uniform(scale={max(abs(stats['min']), abs(stats['max'])):.4g})"
    return f"Normal(sigma={stats['std']:.4g}, mean={stats['mean']:.4g})"
