"""A standalone script that shows one sub-cell parting between the modes, and its check (issue 41).

``write`` puts into a directory the sub-cell's recorded inputs and weights (``data.npz``,
read by numpy) and ``repro.py``: a script a person can read, with no pickled objects.
It builds the sub-cell alone from its recorded construction (``constructions``), loads
the weights by their names relative to it, runs it in GRAPH_MODE and then in
PYNATIVE_MODE from one seed on the recorded arguments (positional and keyword), prints
what differs (max abs and rel diff, the first index, non-finite counts), and exits 1 when
the modes part, 0 when they agree, 2 when it cannot run. The seed is set once, before both runs: a numpy draw
frozen into the graph at compile time and the eager draw that follows come from one
stream, as they do in the test. A cell whose backward is where non-finite values start
gets a backward script instead: its backward from the output gradient it had, run
``REPEATS`` times in each mode (a nondeterministic kernel fails in some runs only),
counting the runs with non-finite gradients. Either script runs the cell in the
precision it ran in (``to_float``, which an amp level sets on every cell).

``verify`` runs it in a fresh interpreter, as a person would: only a script that exits 1
there is a reproduction.
"""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .constructions import Constructions, Source, literal, source

_HEAD = '''"""{title}

Written by pytest-msgraph from {test}.
MindSpore {version}, device {device}{setting}. {cell} runs alone on the inputs and weights
it had in that test (data.npz): {what}
Exits 1 when the modes part{beyond}; 0 when they agree; 2 when it cannot run.
"""
import sys
from pathlib import Path

sys.path.insert(0, {root!r})  # where the test's own modules import from

import numpy as np
import mindspore as ms
{imports}

HERE = Path(__file__).resolve().parent
RTOL, ATOL = {rtol!r}, {atol!r}
PRECISION = ms.{precision}  # what the cell ran in (to_float, an amp level); ms.float32 to compare
ms.set_device({device!r})


def build(data):
    cell = {construction}{to_float}
    for name, param in cell.parameters_and_names():
        param.set_data(ms.Tensor(data["weight:" + name], param.dtype))
    return cell


def outputs(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in outputs(item)]
    if hasattr(value, "asnumpy"):  # numpy has no bfloat16: read as float32
        return [(value.astype(ms.float32) if value.dtype == ms.bfloat16 else value).asnumpy()]
    return [np.asarray(value)]
'''

# What a forward repro runs: the call in each mode once, and what differs.
_FORWARD = '''

def run(mode, data):
    ms.set_context(mode=mode)
    cell = build(data)
    return outputs(cell({call}))


def main():
    data = np.load(HERE / "data.npz")
    np.random.seed(0)
    ms.set_seed(0)
    graph, eager = run(ms.GRAPH_MODE, data), run(ms.PYNATIVE_MODE, data)
    parted = len(graph) != len(eager)
    for index, (g, e) in enumerate(zip(graph, eager)):
        nonfinite = (int((~np.isfinite(g)).sum()), int((~np.isfinite(e)).sum())) if g.dtype.kind == "f" else (0, 0)
        if g.shape != e.shape or not np.allclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True):
            parted = True
            if g.shape != e.shape:
                print(f"output {{index}}: shape {{g.shape}} in GRAPH_MODE, {{e.shape}} in PYNATIVE_MODE")
                continue
            diff = np.abs(g.astype(np.float64) - e.astype(np.float64))
            rel = diff / np.maximum(np.abs(e.astype(np.float64)), 1e-12)
            first = np.unravel_index(int(np.argmax(diff > ATOL + RTOL * np.abs(e))), g.shape) if g.ndim else ()
            print(f"output {{index}}: max abs diff {{np.nanmax(diff):.6g}}, max rel diff {{np.nanmax(rel):.6g}}, "
                  f"first at {{first}}: GRAPH_MODE {{g[first]}} vs PYNATIVE_MODE {{e[first]}}; "
                  f"non-finite values {{nonfinite[0]}} vs {{nonfinite[1]}}")
    print("the modes part" if parted else "the modes agree")
    return parted
'''

# What a backward repro runs: the cell's backward from its recorded output gradient, repeated (a kernel that is not
# deterministic fails in some runs only), counting the runs whose gradients are not finite in each mode.
_BACKWARD = '''

REPEATS = {repeats}


def gradients(mode, data):
    ms.set_context(mode=mode)
    cell = build(data)
    weights = ms.ParameterTuple(cell.trainable_params())
    backward = ms.ops.GradOperation(get_all=True, get_by_list=True, sens_param=True)(cell, weights)
    return [outputs(backward({call}, {sens})) for _ in range(REPEATS)]


def main():
    data = np.load(HERE / "data.npz")
    failed = {{}}
    for name in ("GRAPH_MODE", "PYNATIVE_MODE"):
        np.random.seed(0)
        ms.set_seed(0)
        counts = [sum(int((~np.isfinite(g)).sum()) for g in grads if g.dtype.kind == "f")
                  for grads in gradients(getattr(ms, name), data)]
        failed[name] = sum(count > 0 for count in counts)
        print(f"{{name}}: non-finite gradients in {{failed[name]}} of {{REPEATS}} runs of the backward "
              f"(non-finite values per run: {{counts}})")
    parted = (failed["GRAPH_MODE"] > 0) != (failed["PYNATIVE_MODE"] > 0)
    print("the modes part" if parted else "the modes agree")
    return parted
'''

_TAIL = '''

if __name__ == "__main__":
    try:
        parted = main()
    except Exception:  # a script that cannot run says so, and is no reproduction (exit 2, not 1)
        import traceback

        traceback.print_exc()
        print("the script could not run")
        sys.exit(2)
    sys.exit(1 if parted else 0)
'''
REPEATS = 10  # backward runs per mode: MindSpore 2.10's CPU float16 LSTM backward fails in about 3 of 8


@dataclasses.dataclass
class Written:
    script: Path
    unwritten: list[str]  # what the script builds or calls with None instead, and of what type


def write(ms: Any, constructions: Constructions, directory: Path, cell: Any, args: tuple, kwargs: dict,
          about: dict[str, Any], sens: Any = None, weights: Optional[dict] = None) -> Written:
    """``repro.py`` and ``data.npz`` in ``directory`` for ``cell(*args, **kwargs)``; with ``sens`` (the gradient of
    its output, shaped as the output), for its backward from there instead. ``weights`` ({name: array}) replace
    the cell's own where given (what it ran with, when that was put back since). ``about``: ``test``, ``device``,
    ``rtol``, ``atol``, ``root`` (the directory the test's modules import from); optional ``title``, ``amp`` (the
    network's amp level)."""
    directory.mkdir(parents=True, exist_ok=True)
    built = source(ms, constructions, cell)
    arrays: dict[str, np.ndarray] = {f"weight:{name}": (param.astype(ms.float32) if param.dtype == ms.bfloat16
                                                        else param).asnumpy()
                                     for name, param in cell.parameters_and_names()}
    arrays.update({f"weight:{name}": value for name, value in (weights or {}).items()})
    flags = cell.get_flags()
    half = "float16" if flags.get("fp16") else "bfloat16" if flags.get("bf16") else None

    def argument(value: Any, key: str) -> str:
        return _argument(ms, constructions, value, key, arrays, built, half is not None)

    call = [argument(value, f"arg:{i}") for i, value in enumerate(args)]
    call += [f"{key}={argument(value, f'kwarg:{key}')}" for key, value in kwargs.items()]
    imports = sorted(set(built.imports) - {"import mindspore as ms"})
    fields = dict(test=about["test"], version=ms.__version__, device=about["device"], cell=type(cell).__name__,
                  setting=_setting(half, about.get("amp")), rtol=about["rtol"], atol=about["atol"],
                  imports="\n".join(imports), root=str(about["root"]), construction=built.expression,
                  precision=half or "float32", to_float="\n    cell.to_float(PRECISION)" if half else "",
                  call=", ".join(call))
    if sens is None:
        script = (_HEAD + _FORWARD + _TAIL).format(
            title=about.get("title") or f"{type(cell).__name__} parts between the modes",
            what="in GRAPH_MODE and then in PYNATIVE_MODE from one seed.",
            beyond=f" beyond rtol={about['rtol']}, atol={about['atol']}", **fields)
    else:
        script = (_HEAD + _BACKWARD + _TAIL).format(
            title=about.get("title") or f"{type(cell).__name__}'s backward is not finite in one mode",
            what=(f"its backward from the gradient its output had,\n{REPEATS} times in GRAPH_MODE and {REPEATS} times "
                  "in PYNATIVE_MODE (a nondeterministic kernel fails in some runs only)."),
            beyond=" (non-finite gradients in one mode's runs only)", repeats=REPEATS,
            sens=argument(sens, "sens"), **fields)
    np.savez(directory / "data.npz", **arrays)
    (directory / "repro.py").write_text(script)
    return Written(directory / "repro.py", built.unwritten)


def _setting(half: Optional[str], amp: Optional[str]) -> str:
    """The header's precision: the cell's dtype and the network's amp level, as far as they are known."""
    said = [f"{half} (cell.to_float)" if half else "float32", f"amp level {amp}" if amp else ""]
    return "".join(f", {part}" for part in said if part)


def _argument(ms: Any, constructions: Constructions, value: Any, key: str, arrays: dict, built: Source,
              half_cell: bool) -> str:
    """A tensor argument is saved and loaded by ``key`` (a tuple or list of them item by item); anything else is
    written as a literal."""
    if isinstance(value, ms.Tensor):
        # numpy has no bfloat16: saved as float32, cast back. A half cell's half input is cast to PRECISION instead
        # (edit it to compare in float32).
        arrays[key] = (value.astype(ms.float32) if value.dtype == ms.bfloat16 else value).asnumpy()
        if value.dtype in (ms.float16, ms.bfloat16) and half_cell:
            return f'ms.Tensor(data["{key}"]).astype(PRECISION)'
        return f'ms.Tensor(data["{key}"]).astype(ms.bfloat16)' if value.dtype == ms.bfloat16 else \
            f'ms.Tensor(data["{key}"])'
    if isinstance(value, (tuple, list)) and value:
        items = [_argument(ms, constructions, item, f"{key}.{i}", arrays, built, half_cell)
                 for i, item in enumerate(value)]
        joined = ", ".join(items) + ("," if isinstance(value, tuple) and len(items) == 1 else "")
        return f"({joined})" if isinstance(value, tuple) else f"[{joined}]"
    return literal(ms, constructions, value, built, key)


def verify(script: Path, timeout: float = 600) -> tuple[Optional[int], str]:
    """(exit status, what it printed) of the script run in a fresh interpreter; status None when it timed out. A
    reproduction exits 1 and prints "the modes part" (an import that fails exits 1 too, printing nothing of it)."""
    try:
        done = subprocess.run([sys.executable, str(script.resolve())], capture_output=True, text=True, timeout=timeout,
                              cwd=script.parent)
    except subprocess.TimeoutExpired:
        return None, f"did not finish in {timeout:.0f} s"
    return done.returncode, (done.stdout + done.stderr)[-4000:]
