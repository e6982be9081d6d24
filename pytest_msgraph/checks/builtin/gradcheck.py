"""Check ``gradcheck`` and the ``ms_gradcheck`` fixture: a Cell's gradient against finite differences.

``ms_gradcheck(cell, *inputs)`` compares the gradient MindSpore returns for ``cell``
(its ``bprop`` when it has one, else autodiff) with central finite differences of its
``construct``, in the test's mode, for every float input. The differences are taken in
float64 where the cell runs in float64 (a cell with float32 parameters runs in float32,
with wider tolerances). MindSpore has no public gradcheck; ``torch.autograd.gradcheck``
and ``jax.test_util.check_grads`` are the models. A forward that draws random numbers
(the seed guide's ``np.random`` sampler) cannot be finite-differenced: two identical
forwards differ, and the fixture says so instead of failing on noise.
"""
from __future__ import annotations

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


@dataclasses.dataclass
class GradcheckResult:
    checked: bool  # False when the forward is not deterministic (nothing could be checked)
    precision: str = "float64"
    inputs: list = dataclasses.field(default_factory=list)  # per float input: index, kind, close, max_abs, ...
    reason: Optional[str] = None

    @property
    def ok(self) -> bool:
        return all(entry["close"] for entry in self.inputs)


def has_custom_bprop(cell: Any) -> bool:
    return any("bprop" in vars(klass) for klass in type(cell).__mro__ if klass.__module__.split(".")[0] != "mindspore")


def _outputs(value: Any) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _outputs(item)]
    return [value.asnumpy()] if hasattr(value, "asnumpy") else []


class GradChecker:
    """The object the ``ms_gradcheck`` fixture returns: call it with a cell and its inputs."""

    def __init__(self, reporter: Any, unwatched: Callable[[], Any], warning: Callable[[str], None]) -> None:
        self._reporter = reporter  # None when the check is off for this test (policy, ms_allow)
        self._unwatched = unwatched  # the fixture's own calls are not the test's (other checks, compile counts)
        self._warning = warning

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
        precision, forward = self._forward(ms, cell, arrays, floats)
        rng = np.random.default_rng(0)
        first = forward(arrays)
        cotangents = [rng.standard_normal(o.shape) for o in first]
        if fd.scalar(forward(arrays), cotangents) != fd.scalar(first, cotangents):
            return GradcheckResult(False, precision, reason="two forward passes on the same inputs differ: the "
                                   "forward draws random numbers (np.random, a random op), and finite differences of "
                                   "a random function measure the noise; check a deterministic version of it")
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
        """float64 when the cell runs in it, else the inputs' own precision; and the forward in it."""
        for precision in ("float64", "float32"):
            def forward(values: list, precision: str = precision) -> list:
                return _outputs(cell(*(self._cast(ms, v, i in floats, precision) for i, v in enumerate(values))))
            try:
                forward(arrays)
            except Exception:  # float64 against float32 parameters: try the next precision
                continue
            return precision, forward
        return "float32", lambda values: _outputs(cell(*(ms.Tensor(v) for v in values)))

    @staticmethod
    def _analytic(ms: Any, cell: Any, tensors: list, cotangents: list, first: list) -> list:
        """The gradient MindSpore returns for ``sum(v * cell(x))``: bprop or autodiff, in the test's mode."""
        sens = [ms.Tensor(v.astype(o.dtype)) for v, o in zip(cotangents, first)]
        grad = ms.ops.GradOperation(get_all=True, sens_param=True)(cell)
        grads = grad(*tensors, sens[0] if len(sens) == 1 else tuple(sens))
        return [g.asnumpy() for g in (grads if isinstance(grads, (tuple, list)) else (grads,))]

    def _report(self, cell: Any, result: GradcheckResult) -> None:
        if not result.checked:
            self._warning(f"ms_gradcheck could not check {type(cell).__name__}: {result.reason}.")
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
                fix=("The custom bprop computes another gradient than its construct implies: check its formula (a "
                     "factor 2 of x*x forgotten shows as exactly this)." if bprop else None),
                cell=type(cell).__name__, input=entry["index"], custom_bprop=bool(bprop),
                max_abs=entry["max_abs"], kind=entry["kind"])
