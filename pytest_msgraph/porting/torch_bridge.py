"""PyTorch to MindSpore: copy a module's weights into a Cell, by name and then by order.

    from pytest_msgraph.torch_bridge import copy_weights
    mapping = copy_weights(torch_model, ms_net)        # {torch name: MindSpore name}
    mapping.problems                                   # what could not be copied, in words

Every PyTorch parameter *and buffer* is copied: first by name with the known
renames (BatchNorm weight/bias/running_mean/running_var -> gamma/beta/moving_mean/
moving_variance; LayerNorm and GroupNorm weight/bias -> gamma/beta; Embedding
weight -> embedding_table; PReLU weight -> a), then, for what is left, by order
where the shapes agree. A PyTorch tensor with no counterpart (``conv.bias`` against
MindSpore's ``has_bias=False``), a MindSpore parameter left without a value, and a
shape mismatch are listed in ``problems``. torch is never imported here: the
module works on the objects it is given.
"""
from __future__ import annotations

from typing import Any, Optional

# PyTorch module class name prefix -> {PyTorch tensor name: MindSpore parameter name}.
RENAMES = {
    "BatchNorm": {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"},
    "SyncBatchNorm": {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean",
                      "running_var": "moving_variance"},
    "LayerNorm": {"weight": "gamma", "bias": "beta"},
    "GroupNorm": {"weight": "gamma", "bias": "beta"},
    "Embedding": {"weight": "embedding_table"},
    "PReLU": {"weight": "a"},
}
# Bookkeeping buffers with no MindSpore counterpart: never a problem.
IGNORED = ("num_batches_tracked",)


class WeightMapping(dict):
    """{PyTorch name: MindSpore name} of every tensor copied, with ``problems`` for the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[dict] = []  # {"kind", "torch", "mindspore", "torch_shape", "ms_shape", "text"}

    def problem(self, kind: str, text: str, **names: Any) -> None:
        self.problems.append({"kind": kind, "text": text, **names})


def _renamed(torch_module: Any, name: str) -> str:
    owner_path, _, leaf = name.rpartition(".")
    try:
        owner = torch_module.get_submodule(owner_path) if owner_path else torch_module
    except AttributeError:
        return name
    kind = type(owner).__name__
    for prefix, renames in RENAMES.items():
        if kind.startswith(prefix) and leaf in renames:
            return f"{owner_path}.{renames[leaf]}" if owner_path else renames[leaf]
    return name


def _owner_kind(layers: dict, tensor_name: str) -> Optional[str]:
    owner = layers.get(tensor_name.rpartition(".")[0])
    return None if owner is None else layer_kind(owner)


def torch_tensors(torch_module: Any) -> dict:
    """Parameters and buffers, in the module's order, without bookkeeping buffers, each tensor once.

    Tied weights (``head.weight = embed.weight``) are one tensor under two names: it keeps the
    first, as MindSpore lists a shared Parameter once.
    """
    found: dict = {}
    seen: set = set()
    for name, tensor in torch_module.state_dict(keep_vars=True).items():
        if name.rpartition(".")[2] in IGNORED or id(tensor) in seen:
            continue
        seen.add(id(tensor))
        found[name] = tensor
    return found


def fits(torch_shape: Any, ms_shape: Any) -> bool:
    """The same shape, or the same but for dimensions of 1 (MindSpore's Conv1d keeps a (out, in, 1, k) weight)."""
    torch_shape, ms_shape = tuple(torch_shape), tuple(ms_shape)
    return torch_shape == ms_shape or tuple(d for d in torch_shape if d != 1) == tuple(d for d in ms_shape if d != 1)


def plan(torch_module: Any, ms_cell: Any) -> WeightMapping:
    """Which PyTorch tensor goes into which MindSpore parameter; copies nothing."""
    torch_side = torch_tensors(torch_module)
    ms_side = dict(ms_cell.parameters_and_names())
    mapping = WeightMapping()
    left_torch, left_ms = [], dict(ms_side)
    for name, tensor in torch_side.items():
        target = _renamed(torch_module, name)
        if target in left_ms:
            if fits(tensor.shape, left_ms[target].shape):
                mapping[name] = target
            else:
                mapping.problem("shape", f"{name} {tuple(tensor.shape)} does not fit {target} "
                                f"{tuple(left_ms[target].shape)}", torch=name, mindspore=target,
                                torch_shape=list(tensor.shape), ms_shape=list(left_ms[target].shape))
            del left_ms[target]
        else:
            left_torch.append(name)
    # By order where the paths differ (features.0 against layer1.conv): the two sides declare
    # layers in the same order. Only the same kind of tensor of the same kind of layer and shape.
    torch_layers = dict(torch_module.named_modules())
    ms_layers = dict(ms_cell.cells_and_names())
    pending_ms = list(left_ms)
    for name in left_torch:
        shape = tuple(torch_side[name].shape)
        wanted = (_owner_kind(torch_layers, name), _renamed(torch_module, name).rpartition(".")[2], shape)
        match = next((ms_name for ms_name in pending_ms
                      if (_owner_kind(ms_layers, ms_name), ms_name.rpartition(".")[2]) == wanted[:2]
                      and fits(shape, ms_side[ms_name].shape)), None)
        if match is not None:
            mapping[name] = match
            pending_ms.remove(match)
        else:
            mapping.problem("unmatched_torch", f"{name} {shape} has no counterpart in the MindSpore cell",
                            torch=name, torch_shape=list(shape))
    for ms_name in pending_ms:
        mapping.problem("unfilled_ms", f"{ms_name} {tuple(ms_side[ms_name].shape)} got no value from PyTorch",
                        mindspore=ms_name, ms_shape=list(ms_side[ms_name].shape))
    return mapping


def copy_weights(torch_module: Any, ms_cell: Any, strict: bool = False) -> WeightMapping:
    """Copy every PyTorch parameter and buffer into ``ms_cell``; return the mapping used.

    With ``strict=True`` any problem raises ValueError listing them all, before anything
    is copied.
    """
    import mindspore as ms

    mapping = plan(torch_module, ms_cell)
    if strict and mapping.problems:
        raise ValueError("cannot copy the weights: " + "; ".join(p["text"] for p in mapping.problems))
    torch_side = torch_tensors(torch_module)
    ms_side = dict(ms_cell.parameters_and_names())
    for torch_name, ms_name in mapping.items():
        param = ms_side[ms_name]
        array = torch_side[torch_name].detach().cpu().numpy()
        param.set_data(ms.Tensor(array.reshape(tuple(param.shape))).astype(param.dtype))
    return mapping


def layer_kind(module_or_cell: Any) -> Optional[str]:
    """A name both frameworks' layers of one kind share, for pairing them ('conv2d', 'dense', ...)."""
    name = type(module_or_cell).__name__.lower()
    aliases = {"linear": "dense", "sequential": None, "sequentialcell": None, "modulelist": None,
               "celllist": None}
    return aliases.get(name, name)
