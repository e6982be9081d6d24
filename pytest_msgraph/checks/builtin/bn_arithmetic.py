"""How many moving-statistics updates a grad call made: pure arithmetic on snapshots.

One BatchNorm update in training maps each channel ``v -> d*v + (1-d)*mu``, with
decay ``d`` and the batch mean ``mu``. A plain forward takes ``before -> after``;
a grad that re-runs that forward ``g`` times on the same batch then moves it on to
``after_grad``, and per channel

    (after_grad - after) / (after - before) = d + d**2 + ... + d**g

so ``g`` follows from snapshots alone, without touching the statistics.
"""
from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_DECAY = 0.9
_MAX_UPDATES = 64


def snapshot(bns: list[Any]) -> dict[str, Any]:
    """{path: copy of moving_mean} for [(path, BatchNorm cell)]; a copy, as the device buffer moves on."""
    return {path: np.array(bn.moving_mean.asnumpy(), copy=True) for path, bn in bns}


def decay_from_momentum(momentum: Any) -> float:
    """MindSpore's BatchNorm keeps ``1 - decay`` in ``.momentum`` (0.1 for the default 0.9)."""
    try:
        value = float(momentum)
    except (TypeError, ValueError):
        return DEFAULT_DECAY
    return 1.0 - value if 0.0 < value < 1.0 else DEFAULT_DECAY


Array = np.ndarray[Any, Any]


def updates_in_grad(before: Array, after: Array, after_grad: Array, decay: float) -> int:
    """Updates the grad made, given one plain forward took ``before`` to ``after``."""
    if np.array_equal(after_grad, after):
        return 0
    step = (after - before).astype(np.float64).ravel()
    again = (after_grad - after).astype(np.float64).ravel()
    # Channels the forward barely moved (batch mean close to the moving mean) carry no signal.
    usable = np.abs(step) > 1e-3 * max(np.abs(step).max(), 1e-30)
    if not usable.any():
        return 1
    ratio = float(np.median(again[usable] / step[usable]))
    sums = np.cumsum(decay ** np.arange(1, _MAX_UPDATES + 1))
    return int(np.argmin(np.abs(sums - ratio))) + 1
