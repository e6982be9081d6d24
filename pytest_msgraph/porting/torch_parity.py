"""The ``torch_parity`` fixture: a migrated Cell against its PyTorch original, as the seed guide's unit tests.

``torch_parity.check(ms_cell, torch_module, *inputs)`` copies the PyTorch weights in
(torch_bridge), runs both on the same data, and compares every output by name (dict
outputs by key), and, on request, the gradients and the BatchNorm moving statistics.
A mismatch is a finding of check ``torch_parity`` that names the output, the first
sub-layer where the two diverge (``localise``) and the known API difference that
explains it. ``torch_parity.check_init(ms_cell, torch_module)`` compares how two fresh
builds initialise their parameters (``init_parity``). torch is imported only here, only
when used.
"""
from __future__ import annotations

import copy
import dataclasses
from typing import Any, Optional

import numpy as np

from . import init_parity, localise, torch_bridge
from .torch_compare import (
    difference,
    judge_against_reference,
    mismatch_text,
    ms_array,
    named_outputs,
    torch_array,
    torch_gradient,
)

CHECK = "torch_parity"


@dataclasses.dataclass
class ParityResult:
    """What check() compared: per output (and gradient, buffer) the max abs and rel diff."""

    outputs: list = dataclasses.field(default_factory=list)
    grads: list = dataclasses.field(default_factory=list)
    buffers: list = dataclasses.field(default_factory=list)
    mapping: dict = dataclasses.field(default_factory=dict)
    problems: list = dataclasses.field(default_factory=list)
    mismatches: list = dataclasses.field(default_factory=list)  # lines of the finding, if any

    @property
    def ok(self) -> bool:
        return not self.mismatches


class TorchParity:
    """The object the ``torch_parity`` fixture returns."""

    def __init__(self, reporter: Any, tolerances: tuple, mode_setter: Any, unwatched: Any) -> None:
        self._unwatched = unwatched  # context manager factory: hide these calls from the other checks
        self._reporter = reporter  # lifecycle.CheckReporter, or None when the check is off for this test
        self._tolerances = tolerances  # (rtol, atol) from ms_tolerance, else (None, None)
        self._mode = mode_setter  # context manager factory: run MindSpore eagerly for localisation

    def check(self, ms_cell: Any, torch_module: Any, *inputs: Any, rtol: Optional[float] = None,
              atol: Optional[float] = None, grads: bool = False, train: bool = False,
              weights: str = "copy") -> ParityResult:
        """Compare ``ms_cell`` with ``torch_module`` on ``inputs`` (numpy arrays or scalars)."""
        if weights not in ("copy", "keep"):
            raise ValueError(f"torch_parity.check: weights={weights!r}; valid: 'copy' or 'keep'")
        with self._unwatched():
            return self._check(ms_cell, torch_module, inputs, rtol, atol, grads, train, weights)

    def check_init(self, ms_cell: Any, torch_module: Any) -> init_parity.InitResult:
        """Compare how a fresh ``ms_cell`` and a fresh ``torch_module`` initialise each paired parameter."""
        with self._unwatched():
            result = init_parity.check_init(ms_cell, torch_module)
        if self._reporter is not None:
            self._reporter.count()
            for entry in result.mismatches:
                found, fix = init_parity.message(ms_cell, torch_module, entry)
                self._reporter.emit(found, fix=fix, cell=type(ms_cell).__name__,
                                    parameter=entry["ms"], torch_parameter=entry["torch"], kind="init",
                                    mindspore=entry["ms_stats"], pytorch=entry["torch_stats"])
            for problem in result.problems:
                found, fix = init_parity.unpaired_message(ms_cell, problem)
                self._reporter.emit(found, fix=fix, cell=type(ms_cell).__name__, kind="init_unpaired",
                                    parameter=problem.get("mindspore"), torch_parameter=problem.get("torch"))
        return result

    def _tolerance(self, rtol: Optional[float], atol: Optional[float]) -> tuple:
        return (rtol if rtol is not None else self._tolerances[0], atol if atol is not None else self._tolerances[1])

    def _check(self, ms_cell: Any, torch_module: Any, inputs: tuple, rtol: Optional[float], atol: Optional[float],
               grads: bool, train: bool, weights: str) -> ParityResult:
        import torch

        rtol, atol = self._tolerance(rtol, atol)
        result = ParityResult()
        if self._reporter is not None:
            self._reporter.count()
        mapping = torch_bridge.copy_weights(torch_module, ms_cell) if weights == "copy" else \
            torch_bridge.plan(torch_module, ms_cell)
        result.mapping, result.problems = dict(mapping), list(mapping.problems)
        ms_cell.set_train(train)
        torch_module.train(train)
        ms_inputs, torch_inputs = _inputs(inputs, torch, grads)
        ms_out = named_outputs(ms_cell(*ms_inputs))
        torch_out = named_outputs(torch_module(*torch_inputs))
        for (name, m), (_, t) in zip(ms_out, torch_out):
            entry = difference(ms_array(m), torch_array(t), str(getattr(m, "dtype", "Float32")), rtol, atol)
            result.outputs.append({"name": name, **entry})
        if [name for name, _ in ms_out] != [name for name, _ in torch_out]:
            result.mismatches.append(f"MindSpore returns {[n for n, _ in ms_out]}, PyTorch {[n for n, _ in torch_out]}")
        if train:
            _compare_buffers(ms_cell, torch_module, mapping, rtol, atol, result)
        if grads:
            _compare_grads(ms_cell, torch_module, ms_inputs, torch_inputs, [t for _, t in torch_out], mapping, rtol,
                           atol, result, inputs, torch)
        bad_outputs = [o for o in result.outputs if not o["close"]]
        result.mismatches += [mismatch_text(o["name"], o) for o in bad_outputs]
        result.mismatches += [mismatch_text(f"gradient of {g['name']}", g) for g in result.grads if not g["close"]]
        result.mismatches += [mismatch_text(b["name"], b) for b in result.buffers if not b["close"]]
        result.mismatches += [f"weights: {p['text']}" for p in result.problems]
        if result.mismatches and self._reporter is not None:
            lines = list(result.mismatches)
            if bad_outputs or result.problems:
                ms_again, torch_again = _inputs(inputs, torch, grads=False)
                lines += localise.first_divergence(ms_cell, torch_module, ms_again, torch_again, self._mode, torch,
                                                   rtol, atol)
            lines += localise.buffer_hints(ms_cell, torch_module, mapping, result.buffers)
            self._reporter.emit(f"{type(ms_cell).__name__} differs from PyTorch {type(torch_module).__name__}: "
                                + "; ".join(dict.fromkeys(lines)), cell=type(ms_cell).__name__,
                                outputs=result.outputs, grads=result.grads, buffers=result.buffers,
                                problems=result.problems)
        return result


def _inputs(inputs: tuple, torch: Any, grads: bool, dtype: Any = None) -> tuple:
    import mindspore as ms

    ms_in, torch_in = [], []
    for value in inputs:
        array = np.asarray(value)
        ms_in.append(ms.Tensor(array) if array.ndim else value)
        if array.dtype.kind in "iu":
            array = array.astype(np.int64)  # PyTorch wants int64 indices (Embedding, gather)
        elif dtype is not None and array.dtype.kind == "f":
            array = array.astype(dtype)
        tensor = torch.from_numpy(np.ascontiguousarray(array).copy()) if array.ndim else value
        if grads and array.ndim and array.dtype.kind == "f":
            tensor.requires_grad_(True)
        torch_in.append(tensor)
    return ms_in, torch_in


def _compare_buffers(ms_cell: Any, torch_module: Any, mapping: Any, rtol: Any, atol: Any, result: ParityResult) -> None:
    ms_params = dict(ms_cell.parameters_and_names())
    buffers = dict(torch_module.named_buffers())
    for torch_name, ms_name in mapping.items():
        if torch_name in buffers:
            entry = difference(ms_params[ms_name].asnumpy(), torch_array(buffers[torch_name]), "Float32", rtol, atol)
            result.buffers.append({"name": f"{ms_name} (PyTorch {torch_name})", **entry})


def _ms_grads(ms_cell: Any, ms_inputs: list, weights: list, positions: tuple) -> tuple:
    import mindspore as ms

    def total(*args):  # compiled in GRAPH_MODE: graph syntax only (no generators)
        out = ms_cell(*args)
        if isinstance(out, (tuple, list)):
            result = out[0].sum()
            for item in out[1:]:
                result = result + item.sum()
            return result
        return out.sum()

    grads = ms.grad(total, grad_position=positions or None, weights=weights)(*ms_inputs)
    input_grads, weight_grads = grads if positions else ((), grads)
    if positions and len(positions) == 1:
        input_grads = (input_grads,)
    return input_grads, weight_grads


def _torch_backward(torch_module: Any, torch_inputs: list, torch_out: list) -> None:
    # PyTorch accumulates into .grad: a second check() must not add to the first one's gradients.
    torch_module.zero_grad(set_to_none=True)
    sum(out.sum() for out in torch_out if hasattr(out, "sum")).backward()


def _compare_grads(ms_cell: Any, torch_module: Any, ms_inputs: list, torch_inputs: list, torch_out: list,
                   mapping: Any, rtol: Any, atol: Any, result: ParityResult, inputs: tuple, torch: Any) -> None:
    ms_params = dict(ms_cell.parameters_and_names())
    torch_params = dict(torch_module.named_parameters())
    pairs = [(t, m) for t, m in mapping.items() if t in torch_params and ms_params[m].requires_grad]
    positions = tuple(i for i, t in enumerate(torch_inputs) if getattr(t, "requires_grad", False))
    input_grads, weight_grads = _ms_grads(ms_cell, ms_inputs, [ms_params[m] for _, m in pairs], positions)
    _torch_backward(torch_module, torch_inputs, torch_out)
    compared = []
    for position, grad in zip(positions, input_grads):
        compared.append((f"input[{position}]", ms_array(grad), torch_gradient(torch_inputs[position], ms_array(grad)),
                         ("input", position)))
    for (torch_name, ms_name), grad in zip(pairs, weight_grads):
        compared.append((f"{ms_name} (PyTorch {torch_name})", ms_array(grad),
                         torch_gradient(torch_params[torch_name], ms_array(grad)), ("param", torch_name)))
    entries = [{"name": name, **difference(m, t, "Float32", rtol, atol)} for name, m, t, _ in compared]
    if not all(entry["close"] for entry in entries):
        reference = _float64_reference(torch_module, inputs, torch)
        for i, (_, m, t, key) in enumerate(compared):
            if not entries[i]["close"] and reference is not None and key in reference and m.shape == t.shape:
                entries[i] = judge_against_reference(entries[i], m, t, reference[key], rtol, atol)
    result.grads += entries


def _float64_reference(torch_module: Any, inputs: tuple, torch: Any) -> Optional[dict]:
    """PyTorch's gradients in float64, on a copy: the reference both float32 sides are measured against."""
    try:
        double = copy.deepcopy(torch_module).double()
        _, torch_inputs = _inputs(inputs, torch, grads=True, dtype=np.float64)
        outputs = [t for _, t in named_outputs(double(*torch_inputs))]
        _torch_backward(double, torch_inputs, outputs)
    except Exception:  # a module that cannot run in float64: no reference, the float32 verdict stands
        return None
    reference: dict = {("input", i): torch_array(t.grad) for i, t in enumerate(torch_inputs)
                       if getattr(t, "grad", None) is not None}
    for name, param in double.named_parameters():
        reference[("param", name)] = torch_gradient(param, torch_array(param))
    return reference
