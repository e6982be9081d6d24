"""A standalone script that shows one sub-cell parting between the modes, and its check (issue 41).

``write`` puts into a directory the sub-cell's recorded inputs and weights (``data.npz``,
read by numpy) and ``repro.py``: a script a person can read, with no pickled objects.
It builds the sub-cell alone from its recorded construction (``constructions``), loads
the weights by their names relative to it, runs it in GRAPH_MODE and then in
PYNATIVE_MODE from one seed on the recorded arguments (positional and keyword), prints
what differs (max abs and rel diff, the first index, non-finite counts), and exits 1 when
the modes part, 0 when they agree, 2 when it cannot run. The seed is set once, before both runs: a numpy draw
frozen into the graph at compile time and the eager draw that follows come from one
stream, as they do in the test.

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

SCRIPT = '''"""{title}

Written by pytest-msgraph from {test}.
MindSpore {version}, device {device}{setting}. {cell} runs alone on the inputs and weights
it had in that test (data.npz), in GRAPH_MODE and then in PYNATIVE_MODE from one seed.
Exits 1 when the modes part beyond rtol={rtol}, atol={atol}; 0 when they agree; 2 when it
cannot run.
"""
import sys
from pathlib import Path

sys.path.insert(0, {root!r})  # where the test's own modules import from

import numpy as np
import mindspore as ms
{imports}

HERE = Path(__file__).resolve().parent
RTOL, ATOL = {rtol!r}, {atol!r}
ms.set_device({device!r})


def build(data):
    cell = {construction}
    for name, param in cell.parameters_and_names():
        param.set_data(ms.Tensor(data["weight:" + name]))
    return cell


def outputs(value):
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in outputs(item)]
    return [value.asnumpy()] if hasattr(value, "asnumpy") else [np.asarray(value)]


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


@dataclasses.dataclass
class Written:
    script: Path
    unwritten: list[str]  # what the script builds or calls with None instead, and of what type


def write(ms: Any, constructions: Constructions, directory: Path, cell: Any, args: tuple, kwargs: dict,
          about: dict[str, Any]) -> Written:
    """``repro.py`` and ``data.npz`` in ``directory`` for ``cell(*args, **kwargs)``. ``about``: ``test``,
    ``device``, ``rtol``, ``atol``, ``root`` (the directory the test's modules import from); optional ``title`` and
    ``setting`` (the dtype and amp level, say)."""
    directory.mkdir(parents=True, exist_ok=True)
    built = source(ms, constructions, cell)
    arrays: dict[str, np.ndarray] = {f"weight:{name}": param.asnumpy() for name, param in cell.parameters_and_names()}
    call = [_argument(ms, constructions, value, f"arg:{i}", arrays, built) for i, value in enumerate(args)]
    call += [f"{key}={_argument(ms, constructions, value, f'kwarg:{key}', arrays, built)}"
             for key, value in kwargs.items()]
    np.savez(directory / "data.npz", **arrays)
    imports = sorted(set(built.imports) - {"import mindspore as ms"})
    script = directory / "repro.py"
    script.write_text(SCRIPT.format(title=about.get("title") or f"{type(cell).__name__} parts between the modes",
                                    test=about["test"], version=ms.__version__, device=about["device"],
                                    setting=f", {about['setting']}" if about.get("setting") else "",
                                    cell=type(cell).__name__, rtol=about["rtol"], atol=about["atol"],
                                    imports="\n".join(imports), root=str(about["root"]),
                                    construction=built.expression, call=", ".join(call)))
    return Written(script, built.unwritten)


def _argument(ms: Any, constructions: Constructions, value: Any, key: str, arrays: dict, built: Source) -> str:
    """A tensor argument is saved and loaded by ``key``; anything else is written as a literal."""
    if isinstance(value, ms.Tensor):
        arrays[key] = value.asnumpy()
        return f'ms.Tensor(data["{key}"])'
    return literal(ms, constructions, value, built, key)


def verify(script: Path, timeout: float = 600) -> tuple[Optional[int], str]:
    """(exit status, what it printed) of the script run in a fresh interpreter; status None when it timed out. A
    reproduction exits 1 and prints "the modes part" (an import that fails exits 1 too, printing nothing of it)."""
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=timeout,
                              cwd=script.parent)
    except subprocess.TimeoutExpired:
        return None, f"did not finish in {timeout:.0f} s"
    return done.returncode, (done.stdout + done.stderr)[-4000:]
