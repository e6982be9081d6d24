"""Check ``gradcheck`` and the ``ms_gradcheck`` fixture: a Cell's gradient against finite differences.

``ms_gradcheck(cell, *inputs)`` compares the gradient MindSpore returns for ``cell``
(its ``bprop`` when it has one, else autodiff) with central finite differences of its
``construct``, in the test's mode, for every float input. The differences are taken in
float64 where the cell runs in float64 (a cell with float32 parameters runs in float32,
with wider tolerances). MindSpore has no public gradcheck; ``torch.autograd.gradcheck``
and ``jax.test_util.check_grads`` are the models. A forward that draws random numbers
(the seed guide's ``np.random`` sampler) cannot be finite-differenced: two identical
forwards differ, and the fixture says so instead of failing on noise. ``ok`` is true only
when a gradient was checked and agreed: a random forward, or inputs that are all
integers, check nothing, and ``assert result.ok`` fails saying why and what to do.
"""
from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Callable, Optional

import numpy as np

from ..frame import Check
from . import gradcheck_arithmetic as fd


class GradcheckCheck(Check):
    name = "gradcheck"
    description = "through ms_gradcheck: a Cell's gradient (its custom bprop) disagrees with finite differences"
    default_policy = "error"
    unit = "gradients checked"


RANDOM_FORWARD = ("two forward passes on the same inputs differ: the forward is random (nn.Dropout in training, "
                  "np.random, a random op); call cell.set_train(False) first, or check a deterministic version of it")


@dataclasses.dataclass
class GradcheckResult:
    checked: bool  # False when nothing could be checked: a random forward, no float input
    precision: str = "float64"
    inputs: list = dataclasses.field(default_factory=list)  # per float input: index, kind, close, max_abs, ...
    reason: Optional[str] = None  # why nothing was checked, and what to do

    @property
    def ok(self) -> bool:
        """True only when a gradient was checked and agreed with finite differences."""
        return self.checked and bool(self.inputs) and all(entry["close"] for entry in self.inputs)

    @property
    def verdict(self) -> str:
        """``agreed``, ``disagreed``, or ``nothing checked`` (``reason`` says why)."""
        if not self.checked or not self.inputs:
            return "nothing checked"
        return "agreed" if self.ok else "disagreed"

    def __repr__(self) -> str:
        # What pytest prints under a failed ``assert result.ok``: the verdict first, and why.
        if self.verdict == "nothing checked":
            return f"GradcheckResult(nothing checked: {self.reason})"
        worst = max(self.inputs, key=lambda entry: entry["max_abs"])
        return (f"GradcheckResult({self.verdict}, {self.precision}, {len(self.inputs)} input(s), largest difference "
                f"{worst['max_abs']:.3g} on input {worst['index']})")


def has_custom_bprop(cell: Any) -> bool:
    return any("bprop" in vars(klass) for klass in type(cell).__mro__ if klass.__module__.split(".")[0] != "mindspore")


def _outputs(value: Any) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _outputs(item)]
    return [value.asnumpy()] if hasattr(value, "asnumpy") else []


class GradChecker:
    """The object the ``ms_gradcheck`` fixture returns: call it with a cell and its inputs."""

    def __init__(self, reporter: Any, unwatched: Callable[[], Any], warning: Callable[[str], None],
                 probing: Callable[[], Any] = contextlib.nullcontext) -> None:
        self._reporter = reporter  # None when the check is off for this test (policy, ms_allow)
        self._unwatched = unwatched  # the fixture's own calls are not the test's (other checks, compile counts)
        self._warning = warning
        self._probing = probing  # eager and synchronous: a probe that fails logs nothing and leaves no error

    def __call__(self, cell: Any, *inputs: Any, rtol: Optional[float] = None, atol: Optional[float] = None,
                 eps: Optional[float] = None, directions: Optional[int] = None) -> GradcheckResult:
        with self._unwatched():
            result = self._check(cell, inputs, rtol, atol, eps, directions)
        if self._reporter is not None:
            self._report(cell, result)
        return result

    def _check(self, cell: Any, inputs: tuple, rtol: Optional[float], atol: Optional[float], eps: Optional[float],
               directions: Optional[int]) -> GradcheckResult:
        import mindspore as ms

        arrays = [np.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x) for x in inputs]
        floats = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
        if not floats:
            dtypes = ", ".join(sorted({str(a.dtype) for a in arrays})) or "no input at all"
            return GradcheckResult(False, reason=f"no input is a float ({dtypes}): a gradient is checked for float "
                                   "inputs only; pass at least one float input (np.float32 or np.float64)")
        precision, forward = self._forward(ms, cell, arrays, floats)
        rng = np.random.default_rng(0)
        first = forward(arrays)
        cotangents = [rng.standard_normal(o.shape) for o in first]
        if fd.scalar(forward(arrays), cotangents) != fd.scalar(first, cotangents):
            return GradcheckResult(False, precision, reason=RANDOM_FORWARD)
        default_eps, default_rtol, default_atol = fd.SETTINGS[precision]
        eps, rtol, atol = eps or default_eps, rtol if rtol is not None else default_rtol, \
            atol if atol is not None else default_atol
        analytic = self._analytic(ms, cell, [self._cast(ms, a, i in floats, precision) for i, a in enumerate(arrays)],
                                  cotangents, first)
        result = GradcheckResult(True, precision)

        def loss(values: list) -> float:
            return fd.scalar(forward(values), cotangents)

        for index in floats:
            kind, numeric, basis = fd.numeric_gradient(loss, [self._as(a, precision, i in floats)
                                                              for i, a in enumerate(arrays)], index, eps,
                                                       directions, rng)
            result.inputs.append({"index": index, "kind": kind, "eps": eps, "rtol": rtol, "atol": atol,
                                  **fd.compare(analytic[index], numeric, basis, rtol, atol)})
        return result

    @staticmethod
    def _as(array: np.ndarray, precision: str, is_float: bool) -> np.ndarray:
        return array.astype(np.dtype(precision)) if is_float else array

    def _cast(self, ms: Any, array: np.ndarray, is_float: bool, precision: str) -> Any:
        return ms.Tensor(self._as(array, precision, is_float))

    def _forward(self, ms: Any, cell: Any, arrays: list, floats: list) -> tuple:
        """float64 when the cell runs in it, else float32 (or the inputs' own precision); and the forward in it.

        The parameters decide when they can: a cell with float32 parameters is not tried in float64,
        since that try fails in MatMul and a failed GRAPH_MODE compile logs an ``[ERROR] ANALYZER`` line.
        Otherwise float64 is tried eagerly and synchronously (``probing``).
        """
        kinds = {str(p.dtype) for p in cell.get_parameters() if "Float" in str(p.dtype)}

        def forward(values: list, precision: str) -> list:
            return _outputs(cell(*(self._cast(ms, v, i in floats, precision) for i, v in enumerate(values))))

        def runs_in_float64() -> bool:
            try:
                with self._probing():
                    forward(arrays, "float64")
            except Exception:  # float64 against float32 constants: the next precision
                return False
            return True

        if kinds <= {"Float64"} and runs_in_float64():
            return "float64", lambda values: forward(values, "float64")
        if kinds <= {"Float32", "Float64"}:
            return "float32", lambda values: forward(values, "float32")
        return "float32", lambda values: _outputs(cell(*(ms.Tensor(v) for v in values)))

    @staticmethod
    def _analytic(ms: Any, cell: Any, tensors: list, cotangents: list, first: list) -> list:
        """The gradient MindSpore returns for ``sum(v * cell(x))``: bprop or autodiff, in the test's mode."""
        sens = [ms.Tensor(v.astype(o.dtype)) for v, o in zip(cotangents, first)]
        grad = ms.ops.GradOperation(get_all=True, sens_param=True)(cell)
        grads = grad(*tensors, sens[0] if len(sens) == 1 else tuple(sens))
        return [g.asnumpy() for g in (grads if isinstance(grads, (tuple, list)) else (grads,))]

    def _report(self, cell: Any, result: GradcheckResult) -> None:
        if result.verdict == "nothing checked":
            self._warning(f"ms_gradcheck could not check {type(cell).__name__}: {result.reason}. Nothing was "
                          "checked: `assert result.ok` fails.")
            return
        self._reporter.count(len(result.inputs))
        bprop = " (custom bprop)" if has_custom_bprop(cell) else ""
        for entry in result.inputs:
            if entry["close"]:
                continue
            where = ("element" if entry["kind"] == "elementwise" else "random direction") + f" {entry['at']}"
            self._reporter.emit(
                f"{type(cell).__name__}{bprop}: the gradient of input {entry['index']} disagrees with central finite "
                f"differences of construct ({result.precision}, eps={entry['eps']:g}): largest difference "
                f"{entry['max_abs']:.3g} along {where}, {entry['analytic']:.6g} against {entry['numeric']:.6g} "
                f"(rtol={entry['rtol']:g}, atol={entry['atol']:g}).",
                fix=fd.fix_text(entry.get("factor")) if bprop else None,
                cell=type(cell).__name__, input=entry["index"], custom_bprop=bool(bprop),
                max_abs=entry["max_abs"], kind=entry["kind"])
