"""The ``torch_parity`` fixture: a migrated Cell against its PyTorch original, as the seed guide's unit tests.

``torch_parity.check(ms_cell, torch_module, *inputs)`` copies the PyTorch weights in
(torch_bridge), runs both on the same data, and compares every output (and, on
request, the gradients and the BatchNorm moving statistics). A mismatch is a finding
of check ``torch_parity`` that names the output, the first sub-layer where the two
diverge (forward hooks on both sides, paired by order and layer kind) and the known
API difference that explains it. torch is imported only here, only when used.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

import numpy as np

from ..checks.builtin.parity_arithmetic import tolerance
from . import torch_bridge
from .torch_hints import hints_for

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


def _flat(value: Any) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _flat(item)]
    return [value]


def _ms_array(value: Any) -> np.ndarray:
    return value.asnumpy() if hasattr(value, "asnumpy") else np.asarray(value)


def _torch_array(value: Any) -> np.ndarray:
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


def _describe(name: str, entry: dict) -> str:
    if entry["max_abs"] is None:
        return f"{name}: shapes differ: MindSpore {tuple(entry['shape_ms'])}, PyTorch {tuple(entry['shape_torch'])}"
    rel = "n/a" if entry["max_rel"] is None else f"{entry['max_rel']:.3g}"
    return f"{name}: max abs diff {entry['max_abs']:.3g}, max rel diff {rel}"


def pair_layers(torch_leaves: list, ms_leaves: list) -> list:
    """Pair two call-ordered lists of (path, layer, output) by order and layer kind.

    A layer one side has and the other does not (MindSpore code often applies an
    ``ops`` primitive where PyTorch has a module) is skipped.
    """
    pairs, j = [], 0
    for t_path, t_layer, t_out in torch_leaves:
        kind = torch_bridge.layer_kind(t_layer)
        for k in range(j, len(ms_leaves)):
            if torch_bridge.layer_kind(ms_leaves[k][1]) == kind:
                pairs.append(((t_path, t_layer, t_out), ms_leaves[k]))
                j = k + 1
                break
    return pairs


def _is_leaf_torch(module: Any) -> bool:
    return not any(True for _ in module.children())


def _is_leaf_ms(cell: Any) -> bool:
    return not any(True for _ in cell.cells())


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
        with self._unwatched():
            return self._check(ms_cell, torch_module, inputs, rtol, atol, grads, train, weights)

    def _check(self, ms_cell: Any, torch_module: Any, inputs: tuple, rtol: Optional[float], atol: Optional[float],
               grads: bool, train: bool, weights: str) -> ParityResult:
        import torch

        if weights not in ("copy", "keep"):
            raise ValueError(f"torch_parity.check: weights={weights!r}; valid: 'copy' or 'keep'")
        rtol = rtol if rtol is not None else self._tolerances[0]
        atol = atol if atol is not None else self._tolerances[1]
        result = ParityResult()
        if self._reporter is not None:
            self._reporter.count()
        if weights == "copy":
            mapping = torch_bridge.copy_weights(torch_module, ms_cell)
        else:
            mapping = torch_bridge.plan(torch_module, ms_cell)
        result.mapping, result.problems = dict(mapping), list(mapping.problems)
        ms_cell.set_train(train)
        torch_module.train(train)
        ms_inputs, torch_inputs = self._inputs(inputs, torch, grads)
        ms_out = _flat(ms_cell(*ms_inputs))
        torch_out = _flat(torch_module(*torch_inputs))
        for index, (m, t) in enumerate(zip(ms_out, torch_out)):
            entry = difference(_ms_array(m), _torch_array(t), str(getattr(m, "dtype", "Float32")), rtol, atol)
            result.outputs.append({"name": f"output[{index}]", **entry})
        if len(ms_out) != len(torch_out):
            result.mismatches.append(f"MindSpore returns {len(ms_out)} output(s), PyTorch {len(torch_out)}")
        if train:
            self._compare_buffers(ms_cell, torch_module, mapping, rtol, atol, result)
        if grads:
            self._compare_grads(ms_cell, torch_module, ms_inputs, torch_inputs, torch_out, mapping, rtol, atol,
                                result)
        bad_outputs = [o for o in result.outputs if not o["close"]]
        result.mismatches += [_describe(o["name"], o) for o in bad_outputs]
        result.mismatches += [_describe(f"gradient of {g['name']}", g) for g in result.grads if not g["close"]]
        result.mismatches += [_describe(b["name"], b) for b in result.buffers if not b["close"]]
        result.mismatches += [f"weights: {p['text']}" for p in result.problems]
        if result.mismatches and self._reporter is not None:
            lines = list(result.mismatches)
            if bad_outputs or result.problems:
                lines += self._localise(ms_cell, torch_module, inputs, train, rtol, atol, torch)
            lines += self._buffer_hints(ms_cell, torch_module, mapping, result)
            self._reporter.emit(f"{type(ms_cell).__name__} differs from PyTorch {type(torch_module).__name__}: "
                       + "; ".join(dict.fromkeys(lines)), cell=type(ms_cell).__name__,
                       outputs=result.outputs, grads=result.grads, buffers=result.buffers, problems=result.problems)
        return result

    @staticmethod
    def _inputs(inputs: tuple, torch: Any, grads: bool) -> tuple:
        import mindspore as ms

        ms_in, torch_in = [], []
        for value in inputs:
            array = np.asarray(value)
            ms_in.append(ms.Tensor(array) if array.ndim else value)
            if array.dtype.kind in "iu":
                array = array.astype(np.int64)  # PyTorch wants int64 indices (Embedding, gather)
            tensor = torch.from_numpy(np.ascontiguousarray(array).copy()) if array.ndim else value
            if grads and array.ndim and array.dtype.kind == "f":
                tensor.requires_grad_(True)
            torch_in.append(tensor)
        return ms_in, torch_in

    @staticmethod
    def _compare_buffers(ms_cell: Any, torch_module: Any, mapping: Any, rtol: Any, atol: Any,
                         result: ParityResult) -> None:
        ms_params = dict(ms_cell.parameters_and_names())
        buffers = dict(torch_module.named_buffers())
        for torch_name, ms_name in mapping.items():
            if torch_name in buffers:
                entry = difference(ms_params[ms_name].asnumpy(), _torch_array(buffers[torch_name]), "Float32",
                                   rtol, atol)
                result.buffers.append({"name": f"{ms_name} (PyTorch {torch_name})", **entry})

    @staticmethod
    def _compare_grads(ms_cell: Any, torch_module: Any, ms_inputs: list, torch_inputs: list, torch_out: list,
                       mapping: Any, rtol: Any, atol: Any, result: ParityResult) -> None:
        import mindspore as ms

        ms_params = dict(ms_cell.parameters_and_names())
        torch_params = dict(torch_module.named_parameters())
        pairs = [(t, m) for t, m in mapping.items() if t in torch_params and ms_params[m].requires_grad]
        positions = tuple(i for i, t in enumerate(torch_inputs) if getattr(t, "requires_grad", False))

        def total(*args):  # compiled in GRAPH_MODE: graph syntax only (no generators)
            out = ms_cell(*args)
            if isinstance(out, (tuple, list)):
                result = out[0].sum()
                for item in out[1:]:
                    result = result + item.sum()
                return result
            return out.sum()

        weights = [ms_params[m] for _, m in pairs]
        grad_fn = ms.grad(total, grad_position=positions or None, weights=weights)
        ms_grads = grad_fn(*ms_inputs)
        input_grads, weight_grads = ms_grads if positions else ((), ms_grads)
        if positions and len(positions) == 1:
            input_grads = (input_grads,)
        sum(out.sum() for out in torch_out).backward()
        for position, grad in zip(positions, input_grads):
            entry = difference(_ms_array(grad), _torch_array(torch_inputs[position].grad), "Float32", rtol, atol)
            result.grads.append({"name": f"input[{position}]", **entry})
        for (torch_name, ms_name), grad in zip(pairs, weight_grads):
            entry = difference(_ms_array(grad), _torch_array(torch_params[torch_name].grad), "Float32", rtol, atol)
            result.grads.append({"name": f"{ms_name} (PyTorch {torch_name})", **entry})

    def _localise(self, ms_cell: Any, torch_module: Any, inputs: tuple, train: bool, rtol: Any, atol: Any,
                  torch: Any) -> list:
        """The first pair of sub-layers whose outputs differ, and the API difference that explains it."""
        torch_leaves: list = []
        ms_leaves: list = []
        # Leaf layers in call order; the cell itself when it is one layer (a Conv2d ported alone).
        handles = [module.register_forward_hook(
            lambda mod, args, out, path=path or "(itself)": torch_leaves.append((path, mod, out)))
            for path, module in torch_module.named_modules() if _is_leaf_torch(module)]
        ms_handles = [cell.register_forward_hook(
            lambda c, args, out, path=path or "(itself)": ms_leaves.append((path, c, out)))
            for path, cell in ms_cell.cells_and_names() if _is_leaf_ms(cell)]
        try:
            ms_inputs, torch_inputs = self._inputs(inputs, torch, grads=False)
            with torch.no_grad():
                torch_module(*torch_inputs)
            with self._mode():  # forward hooks run only eagerly: re-run a GRAPH_MODE cell in PYNATIVE_MODE
                ms_cell(*ms_inputs)
        finally:
            for handle in handles + ms_handles:
                handle.remove()
        lines = []
        for (t_path, t_layer, t_out), (m_path, m_layer, m_out) in pair_layers(torch_leaves, ms_leaves):
            if not hasattr(m_out, "asnumpy"):
                continue
            entry = difference(_ms_array(m_out), _torch_array(t_out), str(m_out.dtype), rtol, atol)
            hints = hints_for(t_layer, m_layer)
            if not entry["close"] or hints:
                lines.append(f"first divergence at MindSpore '{m_path}' ({type(m_layer).__name__}) against "
                             f"PyTorch '{t_path}' ({type(t_layer).__name__}): {_describe('output', entry)}"
                             if not entry["close"] else
                             f"at MindSpore '{m_path}' against PyTorch '{t_path}'")
                lines += [f"hint: {hint}" for hint in hints]
                if not entry["close"]:
                    break
        return lines

    @staticmethod
    def _buffer_hints(ms_cell: Any, torch_module: Any, mapping: Any, result: ParityResult) -> list:
        bad = {b["name"].split(" ")[0].rpartition(".")[0] for b in result.buffers if not b["close"]}
        lines = []
        ms_layers, torch_layers = dict(ms_cell.cells_and_names()), dict(torch_module.named_modules())
        for torch_name, ms_name in mapping.items():
            owner = ms_name.rpartition(".")[0]
            if owner in bad:
                bad.discard(owner)
                hints = hints_for(torch_layers[torch_name.rpartition(".")[0]], ms_layers[owner])
                lines += [f"hint: {hint}" for hint in hints]
        return lines
