"""The API differences between PyTorch and MindSpore layers that make a port compute something else.

Each function looks at one pair of layers (a PyTorch module and the MindSpore cell it
was ported to) and returns the differences it finds, in words, with the fix. Each is
reproduced on real MindSpore and torch in tests/test_torch_parity.py, in both modes.
"""
from __future__ import annotations

import math
from typing import Any

from . import torch_bridge


def _conv_hints(t: Any, m: Any) -> list:
    hints = []
    padding = getattr(t, "padding", 0)
    if getattr(m, "pad_mode", None) == "same" and padding != "same":
        pad = padding[0] if isinstance(padding, tuple) and len(set(padding)) == 1 else padding
        hints.append(f"MindSpore nn.{type(m).__name__} pads 'same' by default, PyTorch pads {pad}: use "
                     f"pad_mode='pad', padding={pad}")
    if (getattr(t, "bias", None) is not None) != bool(getattr(m, "has_bias", False)):
        hints.append(f"MindSpore nn.{type(m).__name__} has has_bias=False by default, PyTorch bias=True: "
                     f"use has_bias={getattr(t, 'bias', None) is not None}")
    return hints


def _gelu_hints(t: Any, m: Any) -> list:
    ms_tanh = getattr(m, "approximate", True) not in (False, "none")
    if ms_tanh != (getattr(t, "approximate", "none") == "tanh"):
        return ["MindSpore nn.GELU() defaults to the tanh approximation, PyTorch's nn.GELU() is exact: use "
                "nn.GELU(approximate=False)"]
    return []


def _norm_eps_hints(t: Any, m: Any) -> list:
    ms_eps = getattr(m, "epsilon", getattr(m, "eps", None))
    if ms_eps is not None and not math.isclose(ms_eps, t.eps, rel_tol=1e-6):
        return [f"{type(m).__name__} epsilon is {ms_eps:g} in MindSpore, {t.eps:g} in PyTorch: pass "
                f"epsilon={t.eps:g} (MindSpore's LayerNorm defaults to 1e-7, PyTorch's to 1e-5)"]
    return []


def _batchnorm_hints(t: Any, m: Any) -> list:
    hints = []
    torch_momentum = t.momentum if t.momentum is not None else 0.1
    # MindSpore keeps 1 - momentum in the attribute: momentum=0.9 (MindSpore) is PyTorch's 0.1.
    if not math.isclose(getattr(m, "momentum", torch_momentum), torch_momentum, rel_tol=1e-6):
        hints.append(f"MindSpore's BatchNorm momentum is 1 - PyTorch's: PyTorch momentum={torch_momentum:g} is "
                     f"MindSpore momentum={1 - torch_momentum:g}; this cell was built with "
                     f"momentum={1 - m.momentum:g}")
    if not math.isclose(getattr(m, "eps", t.eps), t.eps, rel_tol=1e-6):
        hints.append(f"BatchNorm eps is {m.eps:g} in MindSpore, {t.eps:g} in PyTorch: pass eps={t.eps:g}")
    return hints


def _dropout_hints(t: Any, m: Any) -> list:
    ms_p = getattr(m, "p", None)
    if ms_p is None:
        ms_p = 1 - getattr(m, "keep_prob", 1 - t.p)
    if not math.isclose(ms_p, t.p, rel_tol=1e-6):
        return [f"Dropout drops {ms_p:g} in MindSpore and {t.p:g} in PyTorch: MindSpore's old keep_prob is the "
                f"probability to keep (1 - p); pass p={t.p:g}"]
    return []


HINTS = {"conv": _conv_hints, "gelu": _gelu_hints, "layernorm": _norm_eps_hints, "groupnorm": _norm_eps_hints,
         "batchnorm": _batchnorm_hints, "dropout": _dropout_hints}


def hints_for(torch_layer: Any, ms_layer: Any) -> list:
    kind = torch_bridge.layer_kind(torch_layer) or ""
    for prefix, hint in HINTS.items():
        if kind.startswith(prefix):
            return hint(torch_layer, ms_layer)
    return []
