"""Shape signatures of call inputs and outputs, and grouping them across tests (pure).

A signature is JSON data: a tensor is ``{"shape": [4, 4], "dtype": "Float32"}``;
tuples and lists are lists; dicts are dicts; other input values keep their type and
value, other outputs their type only.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from .tensors import has_shape

_SCALARS = (bool, int, float, str, type(None))


def signature(value: Any, keep_values: bool) -> Any:
    """The signature of ``value``; ``keep_values`` for inputs, whose non-tensor values matter."""
    if has_shape(value):
        return {"shape": [int(d) for d in value.shape], "dtype": str(value.dtype)}
    if isinstance(value, (tuple, list)):
        return [signature(v, keep_values) for v in value]
    if isinstance(value, dict):
        return {str(k): signature(v, keep_values) for k, v in value.items()}
    if keep_values and isinstance(value, _SCALARS):
        return {"type": type(value).__name__, "value": value}
    return {"type": type(value).__name__}


def show(sig: Any, dtypes: bool = False) -> str:
    """(4, 4) for one tensor; ((4,), (3, 4)) for a tuple of them; (4, 4) Float32 with ``dtypes``."""
    if isinstance(sig, list):
        inner = ", ".join(show(s, dtypes) for s in sig)
        return f"({inner},)" if len(sig) == 1 else f"({inner})"
    if isinstance(sig, dict) and "shape" in sig:
        dims = ", ".join(str(d) for d in sig["shape"])
        shape = f"({dims},)" if len(sig["shape"]) == 1 else f"({dims})"
        return f"{shape} {sig.get('dtype')}" if dtypes else shape
    if isinstance(sig, dict) and "type" in sig:
        return repr(sig["value"]) if "value" in sig else sig["type"]
    if isinstance(sig, dict):
        return "{" + ", ".join(f"{k}: {show(v, dtypes)}" for k, v in sig.items()) + "}"
    return str(sig)


def _key(sig: Any) -> str:
    return json.dumps(sig, sort_keys=True)


def split_nodeid(nodeid: str, mode: str) -> tuple[str, str]:
    """``t.py::test_f[GRAPH_MODE-seed7]`` -> (``t.py::test_f``, ``seed7``): the function and its variant."""
    base, bracket, params = nodeid.partition("[")
    if not bracket:
        return base, ""
    parts = [p for p in params[:-1].split("-") if p != mode]
    return base, "-".join(parts)


def _variant_label(record: dict[str, Any]) -> str:
    label = f"[{record['variant']}]" if record["variant"] else "[]"
    return label + (f" call {record['call'] + 1}" if record.get("call") else "")


def value_dependent_groups(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Groups (same test function, mode, name, input signature) whose outputs differ in shape."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for record in records:
        base, variant = split_nodeid(record["nodeid"], record["mode"])
        record = dict(record, base=base, variant=variant)
        key = (base, record["mode"], record["name"], _key(record["inputs"]))
        groups.setdefault(key, []).append(record)
    found = []
    for (base, mode, name, _), members in groups.items():
        if len({_key(m["output"]) for m in members}) > 1:
            inputs = members[0]["inputs"]
            found.append({"nodeid": base, "mode": mode, "name": name,
                          "inputs": inputs["args"] if isinstance(inputs, dict) and "args" in inputs else inputs,
                          "variants": [{"nodeid": m["nodeid"], "label": _variant_label(m), "shape": show(m["output"])}
                                       for m in members]})
    return found


def mode_mismatches(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same test and inputs giving different output shapes in GRAPH_MODE and PYNATIVE_MODE."""
    by_call: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for record in records:
        base, variant = split_nodeid(record["nodeid"], record["mode"])
        key = (base, variant, record["name"], _key(record["inputs"]), record.get("call", 0))
        by_call.setdefault(key, {})[record["mode"]] = dict(record, variant=variant)
    found = []
    for (base, variant, name, _, _), modes in by_call.items():
        if len(modes) == 2 and len({_key(r["output"]) for r in modes.values()}) == 2:
            found.append({"nodeid": base, "variant": variant, "name": name,
                          "shapes": {mode: show(r["output"]) for mode, r in sorted(modes.items())},
                          "variants": [{"nodeid": r["nodeid"], "shape": show(r["output"])}
                                       for _, r in sorted(modes.items())]})
    return found
