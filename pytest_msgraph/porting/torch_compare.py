"""Comparing MindSpore's values with PyTorch's: outputs by name, gradients against a float64 reference.

torch is never imported here: the functions work on the objects they are given.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..checks.builtin.parity.arithmetic import tolerance


def named_outputs(value: Any) -> list[tuple[str, Any]]:
    """Every tensor of an output, named: ``output[i]`` by its place among them, ``output['logits']`` by key."""
    leaves: list[tuple[Optional[str], Any]] = []

    def walk(item: Any, key: Optional[str]) -> None:
        if isinstance(item, (tuple, list)):
            for inner in item:
                walk(inner, key)
        elif isinstance(item, dict):  # by key, in key order: the two sides may build their dicts in other orders
            for name in sorted(item, key=str):
                walk(item[name], f"{key or ''}[{name!r}]")
        else:
            leaves.append((key, item))

    walk(value, None)
    return [(f"output{key}" if key else f"output[{i}]", leaf) for i, (key, leaf) in enumerate(leaves)]


def ms_array(value: Any) -> np.ndarray:
    return value.asnumpy() if hasattr(value, "asnumpy") else np.asarray(value)


def torch_array(value: Any) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def difference(ms_value: np.ndarray, torch_value: np.ndarray, dtype: str, rtol: Optional[float],
               atol: Optional[float]) -> dict:
    """{"shape_ms", "shape_torch", "max_abs", "max_rel", "close"} of two arrays (pure)."""
    entry = {"shape_ms": list(ms_value.shape), "shape_torch": list(torch_value.shape)}
    if ms_value.shape != torch_value.shape:
        return {**entry, "max_abs": None, "max_rel": None, "close": False}
    r, a = tolerance(dtype, rtol, atol)
    m, t = ms_value.astype(np.float64), torch_value.astype(np.float64)
    diff = np.abs(m - t)
    nonzero = t != 0
    max_rel = float(np.max(diff[nonzero] / np.abs(t[nonzero]))) if nonzero.any() else None
    close = bool(np.allclose(m, t, rtol=r, atol=a, equal_nan=True))
    return {**entry, "max_abs": float(diff.max()) if diff.size else 0.0, "max_rel": max_rel, "close": close}


def mismatch_text(name: str, entry: dict) -> str:
    if entry["max_abs"] is None:
        return f"{name}: shapes differ: MindSpore {tuple(entry['shape_ms'])}, PyTorch {tuple(entry['shape_torch'])}"
    rel = "n/a" if entry["max_rel"] is None else f"{entry['max_rel']:.3g}"
    text = f"{name}: max abs diff {entry['max_abs']:.3g}, max rel diff {rel}"
    reference = entry.get("reference")
    if reference:
        text += (f"; against a float64 reference MindSpore is {reference['ms']:.3g} off and PyTorch "
                 f"{reference['torch']:.3g} off: {reference['further']} is further from it")
    return text


def torch_gradient(tensor: Any, like: np.ndarray) -> np.ndarray:
    """PyTorch's gradient; None (a parameter the forward did not use) is zeros, as MindSpore gives."""
    grad = getattr(tensor, "grad", None)
    return np.zeros_like(like) if grad is None else torch_array(grad)


def _relative_error(value: np.ndarray, reference: np.ndarray) -> float:
    scale = float(np.abs(reference).max()) or 1.0
    return float(np.abs(value.astype(np.float64) - reference).max()) / scale


def judge_against_reference(entry: dict, ms_value: np.ndarray, torch_value: np.ndarray, reference: np.ndarray,
                            rtol: Optional[float], atol: Optional[float]) -> dict:
    """A float32 gradient mismatch judged against PyTorch's gradient in float64.

    A gradient sums over the batch and the pixels, and float32 rounding grows with that
    sum (a 16x3x224x224 batch: 1.2e-3 relative for PyTorch itself). MindSpore is right
    when it is within the float32 tolerance of the float64 reference, or no further from
    it than twice PyTorch's own float32 gradient is; the message names the side further.
    """
    ms_off, torch_off = _relative_error(ms_value, reference), _relative_error(torch_value, reference)
    r, _ = tolerance("Float32", rtol, atol)
    further = "MindSpore" if ms_off > torch_off else "PyTorch"
    return {**entry, "close": ms_off <= max(r, 2 * torch_off),
            "reference": {"ms": ms_off, "torch": torch_off, "further": further}}
