"""Central finite differences against an analytic gradient (pure numpy).

``L(x) = sum(v * f(x))`` for a fixed random cotangent ``v`` makes a vector function
scalar; its gradient is what a bprop (or autodiff) returns for that ``v``. Small inputs
are checked element by element, larger ones along random directions: two forward
passes per element or per direction, as ``torch.autograd.gradcheck`` and
``jax.test_util.check_grads`` do.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

Array = np.ndarray[Any, Any]
ELEMENTWISE_LIMIT = 32  # elements of one input checked one by one; beyond, along random directions
DEFAULT_DIRECTIONS = 8
# (eps, rtol, atol) per precision the differences are computed in.
SETTINGS = {"float64": (1e-6, 1e-5, 1e-7), "float32": (1e-3, 1e-2, 2e-3)}


def scalar(outputs: list[Array], cotangents: list[Array]) -> float:
    """``sum(v * f(x))`` over every output, in float64."""
    return float(sum(np.sum(o.astype(np.float64) * v) for o, v in zip(outputs, cotangents)))


def numeric_gradient(loss: Callable[[list[Array]], float], inputs: list[Array], index: int, eps: float,
                     directions: Optional[int], rng: np.random.Generator) -> tuple[str, Array, Array]:
    """(kind, numeric values, the directions they were taken along) for one input.

    Element by element (``kind = "elementwise"``: the directions are the unit vectors) when the
    input is small and ``directions`` is not given; else along ``directions`` random unit vectors.
    """
    x = inputs[index]
    if directions is None and x.size <= ELEMENTWISE_LIMIT:
        basis = np.eye(x.size).reshape((x.size, *x.shape))
        kind = "elementwise"
    else:
        basis = rng.standard_normal((directions or DEFAULT_DIRECTIONS, *x.shape))
        basis /= np.sqrt((basis.reshape(len(basis), -1) ** 2).sum(axis=1)).reshape((-1,) + (1,) * x.ndim)
        kind = "directional"
    values = []
    for direction in basis:
        moved = list(inputs)
        moved[index] = (x + eps * direction).astype(x.dtype)
        up = loss(moved)
        moved[index] = (x - eps * direction).astype(x.dtype)
        values.append((up - loss(moved)) / (2 * eps))
    return kind, np.array(values), basis


def compare(analytic: Array, numeric: Array, basis: Array, rtol: float, atol: float) -> dict[str, Any]:
    """The analytic gradient projected on each direction against the numeric derivative along it."""
    projected = (basis.reshape(len(basis), -1) @ analytic.astype(np.float64).reshape(-1)).astype(np.float64)
    diff = np.abs(projected - numeric)
    worst = int(np.argmax(diff)) if diff.size else 0
    close = bool(np.all(diff <= atol + rtol * np.abs(numeric)))
    return {"close": close, "factor": constant_factor(projected, numeric, rtol, atol),
            "max_abs": float(diff.max()) if diff.size else 0.0, "at": worst,
            "analytic": float(projected[worst]) if diff.size else 0.0,
            "numeric": float(numeric[worst]) if diff.size else 0.0}


def constant_factor(analytic: Array, numeric: Array, rtol: float, atol: float) -> Optional[float]:
    """``numeric / analytic`` when it is one number along every direction (within 10 tolerances), else None."""
    telling = np.abs(analytic) > 10 * atol
    if not telling.any():
        return None
    factor = float(np.median(numeric[telling] / analytic[telling]))
    spread = np.abs(numeric - factor * analytic)
    return factor if bool(np.all(spread <= 10 * (atol + rtol * np.abs(numeric)))) else None


def fix_text(factor: Optional[float]) -> str:
    """What a custom bprop's mismatch points to: a factor 2 only when the gradient is off by exactly 2."""
    text = "The custom bprop computes another gradient than its construct implies: check its formula"
    if factor is not None and abs(factor - 2) < 0.02:
        return text + " (a factor 2 of x*x forgotten shows as exactly this)."  # README's sample shows it
    if factor is not None and abs(factor - 0.5) < 0.005:
        return text + " (it returns twice the gradient: a factor 2 too many)."
    if factor is not None and abs(factor) > 1e-12:
        return text + f" (it is off by a constant factor: finite differences are {factor:.4g} times it)."
    return text + "."
