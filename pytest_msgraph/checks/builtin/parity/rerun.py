"""After a mismatch, three experiments in one: the call run four times in PYNATIVE_MODE on copies of the GRAPH_MODE
side's inputs.

Do two eager runs from the same random state agree (is the eager side repeatable)?
Do two more, from another numpy and Python random state, agree with each other and give
other values (then the call draws from that state, which GRAPH_MODE froze at compile time)? Does the first
agree with GRAPH_MODE's own output (then the modes compute alike on the same inputs,
and what differs is what the call received: an eager write into an input, say)?

Used by mode_parity only after a Cell call's outputs, or a grad call's gradients, differ
between the modes, on the GRAPH_MODE variant's own cell (or differentiated function) and
inputs, with the probes paused (no check hears it)
and every parameter of the cell put back after each run (BatchNorm statistics too), so
the test sees nothing of it. Both runs start from the same numpy and Python random
state (put back afterwards): ``np.random`` in construct draws anew on every eager call
by design, and that is graph mode's trap, not the eager side's. Two eager runs that
still differ on the same inputs and weights (an op reading memory it does not own) make
the eager side the one to doubt.
"""
from __future__ import annotations

import contextlib
import random
from typing import Any, Callable, Iterator, Optional

import numpy as np

from ....mindspore_side.context_guard import eagerly


def arrays(value: Any) -> list:
    if hasattr(value, "asnumpy"):
        return [value.asnumpy().copy()]
    if isinstance(value, (tuple, list)):
        return [a for item in value for a in arrays(item)]
    if isinstance(value, dict):
        return [a for key in sorted(value, key=str) for a in arrays(value[key])]
    return []


def fresh(args: tuple) -> tuple:
    """Copies of the tensors among ``args`` (and in their lists and tuples), for one eager re-run.

    A construct that writes into its input (``ops.cast(label, ms.int32)[0] = 100``) would
    otherwise write into the test's own tensors during a re-run, which the test and
    input_mutation would see as the GRAPH_MODE call's doing, and into the next re-run's.
    Parameters are left as they are: the re-runs put them back themselves.
    """
    return tuple(_fresh(value) for value in args)


def _fresh(value: Any) -> Any:
    if hasattr(value, "asnumpy") and hasattr(value, "copy") and type(value).__name__ != "Parameter":
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(_fresh(item) for item in value)
    return value


def eager_runs(ms: Any, probes: Any, run: Callable[[tuple], Any], args: tuple, params: list,
               shifts: tuple = (False, False, True, True),
               same: Optional[Callable[[Any, Any], bool]] = None) -> Optional[tuple[list, Optional[tuple]]]:
    """Eager runs of ``run(copies of args)`` from the same weights, one per ``shifts``: from the test's numpy and
    Python random state (False), or from another (True): by default two of each, so that a call which draws from
    that state shows it in two pairs of runs that agree within and part between. With one run from the other
    state, a kernel that is not deterministic (MindSpore 2.10's CPU float16 LSTM backward) mimicked it once in a
    ten-pair run of tests/test_evidence.py: GRAPH_MODE convicted of a host draw it does not make. (their outputs as
    arrays, the first run's copies when it wrote into them, else None); None when they could not run.

    ``params`` are the parameters the run may change (BatchNorm statistics): put back after each. With ``same``,
    the fourth run is made only when it can decide (``fourth_decides``). What the runs show: ``verdicts``.
    """
    saved = [p.asnumpy().copy() for p in params]
    states = (np.random.get_state(), random.getstate())
    runs: list = []
    copies: list = []
    try:
        with probes.paused(), eagerly(ms):
            for shifted in shifts:
                if same is not None and len(runs) == 3 and not fourth_decides(runs, same):
                    break
                np.random.set_state(states[0])
                random.setstate(states[1])
                if shifted:  # another state: a construct that draws from it gives other values
                    np.random.random()
                    random.random()
                copies.append(fresh(args))
                runs.append(arrays(run(copies[-1])))
                put_back(ms, params, saved)
    except Exception:  # the eager run itself fails: nothing to say about it
        return None
    finally:
        np.random.set_state(states[0])
        random.setstate(states[1])
    before, after = arrays(list(args)), arrays(list(copies[0]))
    wrote = len(before) != len(after) or any(a.shape != b.shape or not (a == b).all() for a, b in zip(before, after))
    return runs, copies[0] if wrote else None


def fourth_decides(runs: list, same: Callable[[Any, Any], bool]) -> bool:
    """Whether a fourth run can change what three say: only when the first two agree (the eager side repeats) and
    the third, from the other random state, parts from them. Otherwise the call is not a host draw already."""
    return same(runs[0], runs[1]) and not same(runs[0], runs[2])


def verdicts(runs: list, same: Callable[[Any, Any], bool]) -> dict[str, bool]:
    """What ``eager_runs``' runs (the default shifts: two from the test's random state, then one or two from
    another) show. ``eager_repeatable``: the first two agree. ``host_random``: they do, and the two from the other
    state agree with each other and part from them (one run from another state is not enough: a kernel that is not
    deterministic parts once by chance)."""
    repeatable = same(runs[0], runs[1])
    drawn = len(runs) == 4 and repeatable and same(runs[2], runs[3]) and not same(runs[0], runs[2])
    return {"eager_repeatable": repeatable, "host_random": drawn}


def graph_run(ms: Any, probes: Any, hidden: Any, run: Callable[[tuple], Any], args: tuple,
              params: list) -> Optional[list]:
    """The outputs (arrays) of one GRAPH_MODE run of ``run(copies of args)``, its compiles hidden, the weights put
    back; None when it could not run."""
    saved = [p.asnumpy().copy() for p in params]
    try:
        with probes.paused(), hidden(), eagerly(ms):  # eagerly() puts the mode back afterwards
            ms.set_context(mode=ms.GRAPH_MODE)
            return arrays(run(fresh(args)))
    except Exception:
        return None
    finally:
        put_back(ms, params, saved)


_PRECISION = ("fp16", "fp32", "bf16")  # the flags Cell.to_float and amp's levels set on a cell


def half_precision(cells: list) -> bool:
    """Whether any cell of these trees runs in float16 or bfloat16 (``to_float``, an amp level)."""
    return any(sub.get_flags().get("fp16") or sub.get_flags().get("bf16")
               for root in cells for _, sub in root.cells_and_names())


@contextlib.contextmanager
def in_float32(cells: list) -> Iterator[None]:
    """Every cell of these trees set to run in float32 for the block, and its precision flags put back after."""
    subs = list({id(sub): sub for root in cells for _, sub in root.cells_and_names()}.values())
    saved = [(sub, {flag: bool(sub.get_flags().get(flag)) for flag in _PRECISION}) for sub in subs]
    try:
        for sub in subs:
            sub.add_flags(fp16=False, bf16=False, fp32=True)
        yield
    finally:
        for sub, flags in saved:
            sub.add_flags(**flags)


def float32_reference(ms: Any, probes: Any, math: Any, cells: list, run: Callable[[tuple], Any], args: tuple,
                      params: list, out: Any, twin_leaves: list) -> Optional[dict]:
    """The experiment for a half-precision call: the same call run eagerly in float32 on copies, and how far each
    side lands from it: {"GRAPH_MODE": distance, "PYNATIVE_MODE": distance}; None when it could not run, or the
    eager side's values were summarised (over the size cap)."""
    if not all("data" in leaf for leaf in twin_leaves):
        return None
    with in_float32(cells):
        done = eager_runs(ms, probes, run, args, params, shifts=(False,))
    if done is None:
        return None
    reference = done[0][0]
    graph = distance(arrays(out), reference)
    eager = distance([math.decode(leaf) for leaf in twin_leaves], reference)
    return None if graph is None or eager is None else {"GRAPH_MODE": graph, "PYNATIVE_MODE": eager}


def step_reference(ms: Any, probes: Any, math: Any, step: Any, args: tuple, trained: list, before: list,
                   twin_leaves: list) -> Optional[dict]:
    """The experiment for a half-precision training step whose weights part: the same step (a train-step cell) run
    eagerly in float32 from the weights it started from, and how far each side's trained weights land from it.
    Every parameter it changes (BatchNorm statistics, optimizer moments) is put back as the test's step left it."""
    if not all("data" in leaf for leaf in twin_leaves) or len(before) != len(trained):
        return None
    kept = list(step.get_parameters())
    saved = [p.asnumpy().copy() for p in kept]
    graph = [p.asnumpy().copy() for p in trained]
    try:
        with probes.paused(), eagerly(ms), in_float32([step.network]):
            put_back(ms, trained, before)
            step(*fresh(args))
            reference = [p.asnumpy().copy() for p in trained]
    except Exception:  # the step cannot run again here: no reference rather than a guessed one
        return None
    finally:
        put_back(ms, kept, saved)
    to_graph = distance(graph, reference)
    to_eager = distance([math.decode(leaf) for leaf in twin_leaves], reference)
    return None if to_graph is None or to_eager is None else {"GRAPH_MODE": to_graph, "PYNATIVE_MODE": to_eager}


def distance(first: list, second: list) -> Optional[float]:
    """The largest absolute difference between two lists of arrays of the same shapes; None when they do not match
    or either holds a non-finite value."""
    if len(first) != len(second) or any(a.shape != b.shape for a, b in zip(first, second)):
        return None
    gaps = [float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) for a, b in zip(first, second)
            if a.size and a.dtype.kind in "fc"]
    gap = max(gaps, default=0.0)
    return gap if np.isfinite(gap) else None  # a non-finite side has no distance: the reference says nothing


def put_back(ms: Any, params: list, saved: list) -> None:
    """The parameters a re-run changed set back to ``saved``, by ``ops.assign``; the others left alone.

    ``Parameter.set_data`` (and ``assign_value``), even with the same values, makes the next GRAPH_MODE call of a
    grad function read the Python attributes its compiled graph had frozen: a fine-tune switch flipped after the
    compile then takes effect, and the test trains otherwise than without the plugin (measured on 2.7.2 and 2.10).
    ``ops.assign`` writes the values and leaves the compiled graph as it was."""
    for param, value in zip(params, saved):
        write(ms, param, value)


def write(ms: Any, param: Any, value: Any) -> None:
    """``param`` given ``value`` (numpy) unless it holds it already, without touching what GRAPH_MODE compiled."""
    if not np.array_equal(param.asnumpy(), value, equal_nan=value.dtype.kind in "fc"):
        ms.ops.assign(param, ms.Tensor(value, param.dtype))


def eager_grad(ms: Any, fn: Any, grad_position: Any, weights: Any) -> Callable[[tuple], Any]:
    """A fresh PYNATIVE_MODE grad of what a GRAPH_MODE grad function differentiated (its own is left alone)."""
    return lambda args: ms.grad(fn, grad_position=grad_position, weights=weights)(*args)


def same(math: Any, first: list, second: list, rtol: Optional[float], atol: Optional[float]) -> bool:
    if len(first) != len(second):
        return False
    budget = [1 << 62]
    with np.errstate(all="ignore"):  # NaN or inf on either side is compared, never warned of in the user's run
        return _same(math, first, second, rtol, atol, budget)


def _same(math: Any, first: list, second: list, rtol: Optional[float], atol: Optional[float], budget: list) -> bool:
    for a, b in zip(first, second):
        dtype = str(a.dtype).capitalize()  # numpy float32 -> MindSpore Float32: the tolerance table's names
        leaf_a, leaf_b = math.encode(a, dtype, budget), math.encode(b, dtype, budget)
        if a.shape != b.shape or math.compare_leaves(leaf_a, leaf_b, rtol, atol) is not None:
            return False
    return True
