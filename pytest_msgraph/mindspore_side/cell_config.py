"""How a Cell was built: the settings of every cell in its tree and its parameter shapes.

Two cells of one class built the same way compile the same graphs and return the
same shapes; built differently (another ``num_classes``, an inner loss with another
``reduction``, another padding), they are different networks. dynamic_shape and
recompile both group cells by this, so a setting held anywhere in the tree counts:
a wrapper ``LossNet(reduction)`` keeps nothing itself and hands it to an inner
``nn.L1Loss``.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Optional

_SCALARS = (bool, int, float, str, type(None))
# A list of a thousand class names or anchors says nothing more than its first few do,
# and a configuration is compared as text on every top-level call.
_ITEMS_KEPT = 32
# Attributes MindSpore sets on a cell as it compiles or runs it, not as the user built it.
_SET_BY_MINDSPORE = frozenset({"sequence_modified"})
# Primitive attributes every instance of the primitive has, whatever it was built with.
_PRIMITIVE_NAMING = frozenset({"input_names", "output_names"})


def base_attributes(mindspore: Any) -> frozenset:
    """The attributes every Cell has, which say nothing about how one was built."""
    return frozenset(vars(mindspore.nn.Cell()))


def _setting(value: Any, depth: int = 0) -> Optional[Any]:
    """A JSON-able form of a building setting, or None for what is not one (cells, tensors...)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, (list, tuple)) and depth < 3:
        items = [_setting(v, depth + 1) for v in value[:_ITEMS_KEPT]]
        if all(i is not None or v is None for i, v in zip(items, value)):
            return items + ([f"... {len(value)} items"] if len(value) > _ITEMS_KEPT else [])
        return None
    attrs = getattr(value, "attrs", None)  # a Primitive: ops.ReduceMean(keep_dims=True) and the like
    if isinstance(attrs, dict) and hasattr(value, "name") and depth == 0:
        kept = {k: s for k, s in ((k, _setting(v, 1)) for k, v in attrs.items()
                if k not in _PRIMITIVE_NAMING) if s is not None}
        return [str(value.name), sorted(kept.items())]
    return None


def _own_settings(cell: Any, base: frozenset) -> list:
    settings = []
    for key, value in vars(cell).items():
        if key.startswith("_") or key in base or key in _SET_BY_MINDSPORE or "phase" in key:
            continue
        setting = _setting(value)
        if setting is not None:
            settings.append([key, setting])
    return sorted(settings, key=lambda kv: kv[0])


def configuration(cell: Any, base: frozenset) -> list:
    """Each cell of the tree by its path and class, with its settings; then every parameter's shape."""
    tree = []
    for path, sub in cell.cells_and_names():
        settings = _own_settings(sub, base)
        if settings or path:
            tree.append([path, type(sub).__name__, settings])
    shapes = [[p.name, list(p.shape)] for p in cell.get_parameters()]
    return tree + shapes


def digest(cell: Any, base: frozenset) -> str:
    """A short fingerprint of ``configuration``: a ResNet's tree is tens of KB, and it is only compared."""
    text = json.dumps(configuration(cell, base), sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:16]
