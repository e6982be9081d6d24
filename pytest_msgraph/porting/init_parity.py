"""``torch_parity.check_init``: does a freshly built Cell draw its parameters as its PyTorch original does?

Weight-copying tests never see a default initialisation that differs: MindSpore's
``nn.Embedding`` draws N(0, 0.01) where PyTorch draws N(0, 1), a 100x smaller std, and
``nn.MultiheadAttention``'s ``out_proj.bias`` is uniform where PyTorch's is zeros (both
measured on MindSpore 2.10 against torch 2.14). The parameters are paired as
``copy_weights`` pairs them, and each pair's values are compared as samples of two
initialisers (``distributions``). A mismatch names the parameter, gives both
distributions, and the seed guide's fix with the initializer that draws like PyTorch.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

import numpy as np

from . import torch_bridge
from .distributions import describe, difference, inferred_initializer

# What PyTorch's default initialisation is, for the modules whose defaults are documented,
# as the MindSpore initializer that draws the same: (module class prefix, tensor) -> initializer.
TORCH_DEFAULTS = {
    ("Embedding", "weight"): "Normal(sigma=1.0)",
    ("Linear", "weight"): "HeUniform(negative_slope=math.sqrt(5))",
    ("Conv", "weight"): "HeUniform(negative_slope=math.sqrt(5))",
    ("MultiheadAttention", "in_proj_weight"): "XavierUniform()",
    ("MultiheadAttention", "in_proj_bias"): '"zeros"',
    ("MultiheadAttention", "out_proj.bias"): '"zeros"',
}
# MindSpore's default, where it differs from PyTorch's: (cell class prefix, parameter) -> initializer.
MS_DEFAULTS = {
    ("Embedding", "embedding_table"): "Normal(sigma=0.01)",
    ("MultiheadAttention", "out_proj.bias"): "Uniform, as any nn.Dense bias",
}


@dataclasses.dataclass
class InitResult:
    """What check_init compared: per pair of parameters, whether they differ and why."""

    compared: list = dataclasses.field(default_factory=list)  # {"ms", "torch", "why", "ms_stats", "torch_stats"}
    problems: list = dataclasses.field(default_factory=list)  # what the pairing could not pair

    @property
    def mismatches(self) -> list:
        return [entry for entry in self.compared if entry["why"]]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _known(table: dict, owner: Any, leaf: str) -> Optional[str]:
    kind = type(owner).__name__
    return next((init for (prefix, name), init in table.items() if kind.startswith(prefix) and leaf == name), None)


def _owner_and_leaf(root: Any, name: str, children: Any) -> tuple:
    """The module that owns a tensor, and the tensor's name in it (its last component, or out_proj.bias)."""
    owners = dict(children())
    path, _, leaf = name.rpartition(".")
    if path in owners:
        owner = owners[path]
        parent, _, child = path.rpartition(".")
        if parent in owners and type(owners[parent]).__name__.startswith("MultiheadAttention"):
            return owners[parent], f"{child}.{leaf}"
        return owner, leaf
    return root, name


def _torch_initializer(module: Any, name: str, values: np.ndarray) -> str:
    owner, leaf = _owner_and_leaf(module, name, module.named_modules)
    known = _known(TORCH_DEFAULTS, owner, leaf)
    if known:
        return known
    kind = type(owner).__name__
    if leaf == "bias" and (kind.startswith(("Linear", "Conv"))) and getattr(owner, "weight", None) is not None:
        fan_in = int(np.prod(owner.weight.shape[1:]))
        return f"Uniform(scale={1 / math.sqrt(fan_in):.4g})"  # PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    if kind.startswith(("LSTM", "GRU", "RNN")):
        return f"Uniform(scale={1 / math.sqrt(owner.hidden_size):.4g})"
    return inferred_initializer(values)


def check_init(ms_cell: Any, torch_module: Any) -> InitResult:
    """Compare each paired parameter's initial values; nothing is copied or changed."""
    mapping = torch_bridge.plan(torch_module, ms_cell)
    ms_side = dict(ms_cell.parameters_and_names())
    torch_side = torch_bridge.torch_tensors(torch_module)
    result = InitResult(problems=list(mapping.problems))
    for torch_name, ms_name in mapping.items():
        ms_values = ms_side[ms_name].asnumpy()
        torch_values = torch_side[torch_name].detach().cpu().numpy()
        result.compared.append({"ms": ms_name, "torch": torch_name, "why": difference(ms_values, torch_values),
                                "ms_stats": describe(ms_values), "torch_stats": describe(torch_values),
                                "torch_values": torch_values})
    return result


def _stats(stats: dict[str, float]) -> str:
    return f"mean {stats['mean']:.3g}, std {stats['std']:.3g}, in [{stats['min']:.3g}, {stats['max']:.3g}]"


def message(ms_cell: Any, torch_module: Any, entry: dict) -> tuple[str, str]:
    """One mismatch, with both distributions, and apart the seed guide's fix."""
    name = entry["ms"]
    ms_owner, ms_leaf = _owner_and_leaf(ms_cell, name, ms_cell.cells_and_names)
    ms_default = _known(MS_DEFAULTS, ms_owner, ms_leaf)
    init = _torch_initializer(torch_module, entry["torch"], entry["torch_values"])
    default = f" (MindSpore's default: {ms_default})" if ms_default else ""
    found = (f"{type(ms_cell).__name__}.{name} is initialised otherwise than PyTorch's {entry['torch']}: "
             f"{entry['why']}. "
             f"MindSpore: {_stats(entry['ms_stats'])}{default}; PyTorch: {_stats(entry['torch_stats'])}. "
             "A port that copies weights never sees it; one that trains from scratch trains otherwise.")
    fix = (f"Fix, as the seed guide re-initialises: net.{name}.set_data(initializer({init}, net.{name}.shape, "
           f"net.{name}.dtype)) with `from mindspore.common.initializer import initializer"
           + (f", {init.split('(')[0]}" if "(" in init else "") + "`.")
    return found, fix
