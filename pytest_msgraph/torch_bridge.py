"""``pytest_msgraph.torch_bridge``: PyTorch weights into a MindSpore Cell, at the path users know.

The code lives in ``pytest_msgraph.porting.torch_bridge``.
"""
from .porting.torch_bridge import RENAMES, WeightMapping, copy_weights, layer_kind, plan

__all__ = ["RENAMES", "WeightMapping", "copy_weights", "layer_kind", "plan"]
