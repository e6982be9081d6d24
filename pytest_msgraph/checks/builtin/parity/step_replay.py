"""The experiments on a GRAPH_MODE training step whose trained weights part from its eager twin's.

A train-step cell (``nn.TrainOneStepCell``) differentiates its network inside its own
graph: no grad call of the test's shows it, so the step is replayed from the weights it
started from, on copies of its inputs, with the probes paused and every parameter it
changes (optimizer moments, BatchNorm statistics) put back as the test's step left it.

* ``float32_reference`` (a half-precision step): the same step run eagerly in float32,
  and how far each side lands from it (``rerun.step_reference``).
* ``diverges_at``: the network's backward replayed as ``backward.localise_backward``
  does for a grad call (sens 1, as ``TrainOneStepCell`` gives it; a loss-scale cell's
  scale is not applied): the innermost sub-cell whose input gradients part when its
  backward runs alone in GRAPH_MODE. Not run for a step whose graph holds MindSpore
  random ops, or whose graph could not be read (it may hold them): a replay would part by
  design. Eager replays of the step that part (two to four are made) make its eager side
  unrepeatable (``eager_repeatable`` false), at the call where they part.
"""
from __future__ import annotations

from typing import Any, Callable, ContextManager, Optional

from ....mindspore_side.context_guard import eagerly
from .backward import entry_keys
from .rerun import eager_grad, half_precision, put_back, step_reference


def graph_step_experiments(ms: Any, probes: Any, hidden: Callable[[], ContextManager[Any]], math: Any, step: Any,
                           args: tuple, trained: list, before: list, twin_leaves: list, random_ops: bool,
                           tolerances: tuple[Optional[float], Optional[float]], placed: bool) -> dict[str, Any]:
    """{"float32_reference": ..., "diverges_at": ...}, each key present when its experiment applies. ``placed``: the
    eager twin found where its non-finite values start, the one place its finding gives (the backward's replays,
    two to four eager runs of the step, would only cost: 74 s more on mindocr's CRNN-R34, 2.7 times the test's own
    time)."""
    found: dict[str, Any] = {}
    if half_precision([step.network]):
        found["float32_reference"] = step_reference(ms, probes, math, step, args, trained, before, twin_leaves)
    if not random_ops and not placed and len(before) == len(trained):
        found.update(_step_backward(ms, probes, hidden, math, step, args, trained, before, tolerances))
    return found


def _step_backward(ms: Any, probes: Any, hidden: Callable[[], ContextManager[Any]], math: Any, step: Any,
                   args: tuple, trained: list, before: list,
                   tolerances: tuple[Optional[float], Optional[float]]) -> dict[str, Any]:
    kept = list(step.get_parameters())
    saved = [p.asnumpy().copy() for p in kept]
    grad = eager_grad(ms, step.network, None, trained)
    grad.cells = [step.network]  # type: ignore[attr-defined]  # what it differentiates
    try:
        with probes.paused(), eagerly(ms):
            put_back(ms, trained, before)
        return entry_keys(ms, probes, hidden, math, {0: {}}, grad, args, *tolerances)
    finally:
        with probes.paused(), eagerly(ms):
            put_back(ms, kept, saved)
