"""Turn a check's data into plain JSON types before it leaves the check.

Findings and records travel to the xdist controller through execnet, which refuses
anything but built-in types (a numpy float64 ends the run with a DumpError), and
end in the JSON report. Converting where a check emits makes a serial run and an
``-n`` run see the same data.
"""
from __future__ import annotations

import math
from typing import Any

_ATOMS = (str, bool, int, type(None))


def to_plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays, tuples and sets made JSON data; others as ``repr``.

    A NaN or an infinity becomes None (JSON's null).
    """
    if isinstance(value, _ATOMS):
        return value if type(value) in _ATOMS else _builtin_atom(value)
    if isinstance(value, float):
        # JSON has no NaN or infinity (RFC 8259): null, and the message says which it was.
        return float(value) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_plain(v) for v in value), key=repr)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return to_plain(item())  # a numpy scalar or a 0-d array
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return to_plain(tolist())  # a numpy array
    asnumpy = getattr(value, "asnumpy", None)
    if callable(asnumpy):
        return to_plain(asnumpy())  # a MindSpore Tensor
    return repr(value)


def _builtin_atom(value: Any) -> Any:
    """An int/str/bool subclass (an IntEnum, numpy.bool_ is not one) as its built-in value."""
    for kind in (bool, int, str):
        if isinstance(value, kind):
            return kind(value)
    return value
