"""Where a port first parts from its PyTorch original: leaf layers paired by call order and kind, with hints.

Forward hooks on both sides record every leaf layer's output in call order; the first
pair whose outputs differ is named, with the known API difference (``torch_hints``)
that explains it. MindSpore's hooks run only eagerly: a GRAPH_MODE cell is re-run in
PYNATIVE_MODE for this.
"""
from __future__ import annotations

from typing import Any

from . import torch_bridge
from .torch_compare import difference, mismatch_text, ms_array, torch_array
from .torch_hints import hints_for


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


def first_divergence(ms_cell: Any, torch_module: Any, ms_inputs: list, torch_inputs: list, eager: Any, torch: Any,
                     rtol: Any, atol: Any) -> list:
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
        with torch.no_grad():
            torch_module(*torch_inputs)
        with eager():  # forward hooks run only eagerly: re-run a GRAPH_MODE cell in PYNATIVE_MODE
            ms_cell(*ms_inputs)
    finally:
        for handle in handles + ms_handles:
            handle.remove()
    lines = []
    for (t_path, t_layer, t_out), (m_path, m_layer, m_out) in pair_layers(torch_leaves, ms_leaves):
        if not hasattr(m_out, "asnumpy"):
            continue
        entry = difference(ms_array(m_out), torch_array(t_out), str(m_out.dtype), rtol, atol)
        hints = hints_for(t_layer, m_layer)
        if not entry["close"] or hints:
            lines.append(f"first divergence at MindSpore '{m_path}' ({type(m_layer).__name__}) against "
                         f"PyTorch '{t_path}' ({type(t_layer).__name__}): {mismatch_text('output', entry)}"
                         if not entry["close"] else f"at MindSpore '{m_path}' against PyTorch '{t_path}'")
            lines += [f"hint: {hint}" for hint in hints]
            if not entry["close"]:
                break
    return lines


def buffer_hints(ms_cell: Any, torch_module: Any, mapping: Any, buffers: list) -> list:
    """The hints for the layers whose statistics (BatchNorm's moving mean and variance) differ."""
    bad = {b["name"].split(" ")[0].rpartition(".")[0] for b in buffers if not b["close"]}
    lines = []
    ms_layers, torch_layers = dict(ms_cell.cells_and_names()), dict(torch_module.named_modules())
    for torch_name, ms_name in mapping.items():
        owner = ms_name.rpartition(".")[0]
        if owner in bad:
            bad.discard(owner)
            hints = hints_for(torch_layers[torch_name.rpartition(".")[0]], ms_layers[owner])
            lines += [f"hint: {hint}" for hint in hints]
    return lines
