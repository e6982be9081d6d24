"""A tensor's fingerprint: a few numbers that tell two tensors apart beyond a tolerance (pure numpy).

The matrix compares what a suite computed across devices and releases (issue 42) from
reports that cannot hold the tensors. A fingerprint holds the shape, the dtype, the count
of non-finite values, the L2 norm, mean, min and max of the finite values, and
``PROJECTIONS`` random projections: the dot product of the values with fixed Gaussian
weights (the same on every machine: a fixed seed, in blocks of ``BLOCK``, each block
with a random sign of its own, so that no difference hides by cancelling across blocks,
and each projection of a difference stays Gaussian).
About 300 bytes whatever the tensor's size.

Two tensors x and y within an element-wise tolerance (|x - y| <= atol + rtol |y|) have
||x - y|| <= atol sqrt(n) + rtol ||y|| = tol. The norms then differ by at most tol, which
is checked exactly. Each projection of the difference is Gaussian with standard deviation
||x - y||: two fingerprints differ when a projection moves by more than ``SIGMAS`` times
tol. So two tensors within tolerance are flagged with probability under 1e-4 (each of four
projections past 4 sigma), and two whose difference is 20 times tol are told apart with
probability 0.9994 (all four projections under 0.2 sigma otherwise). In between is a grey
zone; it cannot tell which elements differ, nor by how much each: only the norm of the
difference, estimated from the projections.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Optional

import numpy as np

PROJECTIONS = 4
BLOCK = 4096
SIGMAS = 4.0
_SEED = 20261207

# (rtol, atol) by dtype: wide enough for two CPU runs of one release; a team widens them for float16 backends.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "Float64": (1e-7, 1e-9), "Float32": (1e-4, 1e-5), "Float16": (1e-2, 1e-3), "BFloat16": (5e-2, 1e-2),
}
# Integers and booleans: equal values give equal float64 sums only when numpy sums them in the same order, and
# einsum's order may change with the build; a relative 1e-9 of the norm absorbs that, capped at 1e-3 so that one
# integer changed by 1, which moves a projection by a standard normal weight, is missed by all four with p < 1e-9
# whatever the norm (ids and timestamps have norms of 1e10 and more).
INTEGERS = (1e-9, 0.0)
INTEGERS_CAP = 1e-3


@functools.lru_cache(maxsize=4)
def _weights(blocks: int) -> tuple[Any, Any]:
    """(BLOCK x PROJECTIONS weights, blocks x PROJECTIONS block signs), from the fixed seed."""
    rng = np.random.default_rng(_SEED)
    within = rng.standard_normal((BLOCK, PROJECTIONS))
    signs = np.random.default_rng(_SEED + 1).choice([-1.0, 1.0], size=(blocks, PROJECTIONS))
    return within, signs


def fingerprint(array: Any, dtype: Optional[str] = None) -> dict[str, Any]:
    """The fingerprint of ``array`` (numpy; ``dtype`` as MindSpore names it, else numpy's)."""
    values = np.asarray(array)
    if np.iscomplexobj(values):
        values = np.stack([values.real, values.imag], axis=-1)
    flat = values.reshape(-1).astype(np.float64)
    finite = np.isfinite(flat)
    bad = int(flat.size - np.count_nonzero(finite))
    if bad:
        flat = np.where(finite, flat, 0.0)
    blocks = max(1, -(-flat.size // BLOCK))
    padded = np.zeros(blocks * BLOCK)
    padded[:flat.size] = flat
    within, signs = _weights(blocks)
    # einsum, not matmul: OpenBLAS's threads spin after each call and take the cores MindSpore's PyNative work
    # needs (measured: matmul here made bench_cost's training runs 1.2x slower, 1.5x in CPU time).
    projections = (np.einsum("bi,ij->bj", padded.reshape(blocks, BLOCK), within) * signs).sum(axis=0)
    kept = flat[finite] if bad else flat
    return {"shape": list(values.shape), "dtype": dtype or str(values.dtype), "nonfinite": bad,
            "norm": float(math.sqrt(float(np.einsum("i,i->", flat, flat)))),
            "mean": float(kept.mean()) if kept.size else 0.0,
            "min": float(kept.min()) if kept.size else 0.0, "max": float(kept.max()) if kept.size else 0.0,
            "projections": [float(p) for p in projections], "size": int(flat.size)}


def tolerance_of(dtype: str, tolerances: Optional[dict[str, tuple[float, float]]] = None) -> tuple[float, float]:
    """(rtol, atol) for a dtype as MindSpore or numpy names it: ``tolerances`` first, then the defaults; an
    unlisted float as Float32, an integer or boolean as ``INTEGERS``."""
    table = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    for name in (dtype, dtype.capitalize()):
        if name in table:
            return table[name]
    return table["Float32"] if dtype.lower().startswith(("float", "bfloat", "complex")) else INTEGERS


def parted(a: dict[str, Any], b: dict[str, Any],
           tolerances: Optional[dict[str, tuple[float, float]]] = None) -> Optional[dict[str, Any]]:
    """How fingerprints ``a`` and ``b`` differ beyond the dtype's tolerance, or None: {"why", "text"} and, for
    values, the estimated relative L2 difference ``relative``."""
    if a["shape"] != b["shape"]:
        return {"why": "shape", "text": f"shape {a['shape']} against {b['shape']}"}
    if a["dtype"] != b["dtype"]:
        return {"why": "dtype", "text": f"dtype {a['dtype']} against {b['dtype']}"}
    if a["nonfinite"] != b["nonfinite"]:
        return {"why": "nonfinite", "text": f"{a['nonfinite']} against {b['nonfinite']} non-finite values"}
    rtol, atol = tolerance_of(a["dtype"], tolerances)
    scale = max(a["norm"], b["norm"])
    tol = atol * math.sqrt(max(a["size"], 1)) + rtol * scale
    if (rtol, atol) == INTEGERS:
        tol = min(tol, INTEGERS_CAP)
    moved = [abs(p - q) for p, q in zip(a["projections"], b["projections"])]
    if abs(a["norm"] - b["norm"]) <= tol and all(m <= SIGMAS * tol for m in moved):
        return None
    # The projections' RMS estimates ||x - y||; the norms' difference is a bound below it, exact.
    estimate = max(math.sqrt(sum(m * m for m in moved) / len(moved)) if moved else 0.0, abs(a["norm"] - b["norm"]))
    relative = estimate / scale if scale else math.inf
    return {"why": "values", "relative": relative,
            "text": f"values differ by about {relative:.3g} of their norm (L2, estimated; rtol={rtol:g}, "
                    f"atol={atol:g})"}
