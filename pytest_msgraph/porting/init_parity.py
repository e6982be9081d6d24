"""``torch_parity.check_init``: does a freshly built Cell draw its parameters as its PyTorch original does?

Weight-copying tests never see a default initialisation that differs: MindSpore's
``nn.Embedding`` draws N(0, 0.01) where PyTorch draws N(0, 1), a 100x smaller std, and
``nn.MultiheadAttention``'s ``out_proj.bias`` is uniform where PyTorch's is zeros (both
measured on MindSpore 2.10 against torch 2.14). The parameters are paired as
``copy_weights`` pairs them, and each pair's values are compared as samples of two
initialisers (``distributions``). A mismatch names the parameter, gives both
distributions, and the seed guide's fix with the initializer that draws like PyTorch.
A parameter of few values is compared with PyTorch's documented range only
(``distributions.MIN_DISTRIBUTION``); a parameter with no counterpart on the other side
(MindSpore's ``nn.Conv2d`` has no bias by default, PyTorch's has one) is a finding too.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Optional

import numpy as np

from . import torch_bridge
from .distributions import Range, comparison, inferred_initializer, summary_statistics

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
# PyTorch's normalisation layers start from constants: (tensor) -> value.
NORM_CONSTANTS = {"weight": 1.0, "bias": 0.0, "running_mean": 0.0, "running_var": 1.0}
NORMAL_SPAN = 6.0  # a normal draw lies within 6 sigma but for 2e-9 of its values: the range of N(0, 1)


@dataclasses.dataclass
class InitResult:
    """What check_init compared: per pair of parameters, whether they differ and why."""

    # {"ms", "torch", "why", "compared_by" (distribution, bounds or nothing), "ms_stats", "torch_stats"}
    compared: list = dataclasses.field(default_factory=list)
    problems: list = dataclasses.field(default_factory=list)  # what the pairing could not pair: each a finding

    @property
    def mismatches(self) -> list:
        return [entry for entry in self.compared if entry["why"]]

    @property
    def unchecked(self) -> list:
        """Pairs too small for a distribution test, with no documented PyTorch range to bound them."""
        return [entry for entry in self.compared if entry["compared_by"] == "nothing"]

    @property
    def ok(self) -> bool:
        """Something was compared, no parameter was initialised otherwise, and every parameter has a counterpart.

        Pairs compared by nothing (``unchecked``) are listed, not passed: with nothing else compared, not ok."""
        checked = any(entry["compared_by"] != "nothing" for entry in self.compared)
        return checked and not self.mismatches and not self.problems


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


def _torch_range(module: Any, name: str) -> Optional[Range]:
    """The range PyTorch's documented default draws a tensor from; None when it is not known here."""
    owner, leaf = _owner_and_leaf(module, name, module.named_modules)
    kind = type(owner).__name__
    if kind.startswith(("BatchNorm", "LayerNorm", "GroupNorm", "InstanceNorm")) and leaf in NORM_CONSTANTS:
        return NORM_CONSTANTS[leaf], NORM_CONSTANTS[leaf]
    bound: Optional[float] = None
    if kind.startswith("MultiheadAttention"):
        zeros = leaf in ("in_proj_bias", "out_proj.bias")
        bound = 0.0 if zeros else {"in_proj_weight": math.sqrt(6 / (4 * owner.embed_dim)),  # Xavier, fans E and 3E
                                   "out_proj.weight": 1 / math.sqrt(owner.embed_dim)}.get(leaf)
    elif kind.startswith("Embedding") and leaf == "weight":
        bound = NORMAL_SPAN
    elif kind.startswith(("Linear", "Conv")) and leaf in ("weight", "bias") and owner.weight is not None:
        # HeUniform(sqrt(5)) for the weight and the bias's own rule both give 1/sqrt(fan_in).
        bound = 1 / math.sqrt(int(np.prod(owner.weight.shape[1:])))
    elif kind.startswith(("LSTM", "GRU", "RNN")):
        bound = 1 / math.sqrt(owner.hidden_size)
    return None if bound is None else (-bound, bound)


def check_init(ms_cell: Any, torch_module: Any) -> InitResult:
    """Compare each paired parameter's initial values; nothing is copied or changed."""
    mapping = torch_bridge.plan(torch_module, ms_cell)
    ms_side = dict(ms_cell.parameters_and_names())
    torch_side = torch_bridge.torch_tensors(torch_module)
    result = InitResult(problems=list(mapping.problems))
    for torch_name, ms_name in mapping.items():
        ms_values = ms_side[ms_name].asnumpy()
        torch_values = torch_side[torch_name].detach().cpu().numpy()
        why, compared_by = comparison(ms_values, torch_values, _torch_range(torch_module, torch_name))
        result.compared.append({"ms": ms_name, "torch": torch_name, "why": why, "compared_by": compared_by,
                                "ms_stats": summary_statistics(ms_values),
                                "torch_stats": summary_statistics(torch_values), "torch_values": torch_values})
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


def unpaired_message(ms_cell: Any, problem: dict) -> tuple[str, str]:
    """A parameter without a counterpart (or of another shape), and how to build the two alike."""
    cell = type(ms_cell).__name__
    found = (f"{cell}: {problem['text']}; its initialisation cannot be compared, and a port of this layer "
             "computes otherwise (a bias on one side only shifts every output).")
    name = problem.get("torch") or problem.get("mindspore") or ""
    if name.rpartition(".")[2] == "bias" and problem["kind"] == "unmatched_torch":
        fix = (f"Fix: build the MindSpore layer with has_bias=True (MindSpore's {cell} has no bias by default, "
               "PyTorch's has one), or the PyTorch one with bias=False.")
    elif name.rpartition(".")[2] == "bias" and problem["kind"] == "unfilled_ms":
        fix = "Fix: build the MindSpore layer with has_bias=False, as the PyTorch one has bias=False."
    else:
        fix = "Fix: build both with the same arguments, so that each parameter has its counterpart."
    return found, fix
