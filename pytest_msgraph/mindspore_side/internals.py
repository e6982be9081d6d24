"""Where each MindSpore internal the plugin relies on lives, per release, and the releases it was verified on.

The one place that knows MindSpore's private names: the probes, graph_inspection, the
device and the context guard ask here and never import a private module themselves.
Each ``Internal`` lists its places newest first; the first that resolves is used, so a
release that keeps an old place (2.9 and 2.10 keep ``mindspore.common.api`` as a
deprecated alias that logs a warning on import) gets the new one. ``verified`` is what
tox's ms27 ... ms210 environments run: add a release there, then here (docs/development.md).
A place that resolves on no release raises ``ProbeUnavailable``, naming the release and
what to do, and the check that needed it says so as inactive.
"""
from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from ..core.releases import TESTED, upgrade_advice


class ProbeUnavailable(Exception):
    """A MindSpore internal the probes rely on is missing (another MindSpore version)."""


@dataclasses.dataclass(frozen=True)
class Place:
    module: str
    names: tuple[str, ...]  # attributes (dotted: ``Class.method``) that must all be there
    releases: str  # where MindSpore keeps them, as measured: "2.9.0 and later"


@dataclasses.dataclass(frozen=True)
class Internal:
    what: str  # what the plugin uses it for, said when it is missing
    places: tuple[Place, ...]
    verified: tuple[str, ...] = TESTED


_GRAPH_NAMES = ("_CellGraphExecutor.compile", "_CellGraphExecutor._get_func_graph_proto", "_JitExecutor.compile",
                "_JitExecutor.__call__", "ms_compile_cache", "_cell_graph_executor")

INTERNALS = {
    # Compile watching (compiles.py), GRAPH_MODE grad functions (grad_calls.py), compiled graphs
    # (graph_inspection.py). Same objects under both names on 2.9 and 2.10.
    "graph_executors": Internal("the graph and jit executors", (
        Place("mindspore.graph.api", _GRAPH_NAMES, "2.9.0 and later"),
        Place("mindspore.common.api", _GRAPH_NAMES, "2.7.0 to 2.8.x"))),
    # PYNATIVE_MODE grads, one shape or the other (grad_calls.py): every grad API runs its forward
    # and its backward through these.
    "grad_functions": Internal("the PyNative grad functions", (
        Place("mindspore.ops.composite.base", ("_pynative_func_grad_forward", "_pynative_func_grad_backward"),
              "2.9.0 and later (also imported by name into ops.function.grad.grad_func)"),)),
    "grad_methods": Internal("the PyNative grad methods", (
        Place("mindspore.ops.composite.base", ("GradOperation._pynative_forward_run", "_Grad._pynative_forward_run"),
              "2.7.0 to 2.8.x"),)),
    "grad_executor": Internal("the PyNative grad executor", (
        Place("mindspore.common.api", ("_PyNativeExecutor.grad", "_PyNativeExecutor.grad_aux"), "2.7.0 to 2.8.x"),)),
    "grad_func": Internal("the functional grad module", (
        Place("mindspore.ops.function.grad.grad_func", (), "every tested release"),)),
    # The mode, read without get_context's cost, and the context snapshot (context_guard.py).
    "context": Internal("the context's parameters", (
        Place("mindspore.context", ("_get_mode", "_context", "ms_ctx_param"), "every tested release"),)),
    # Which backends the package supports, without the noisy public probes (device.py).
    "device_support": Internal("the package's device support", (
        Place("mindspore._c_expression", ("MSContext.get_instance", "MSContext.is_pkg_support_device"),
              "every tested release"),)),
    # Compiled graphs read as MindIR (graph_inspection.py).
    "mind_ir": Internal("the MindIR protobuf classes", (
        Place("mindspore.train.mind_ir_pb2", ("ModelProto",), "every tested release"),)),
    # amp_level on a network with custom to_float flags (mixed_precision).
    "amp": Internal("amp's build_train_network", (
        Place("mindspore.train.amp", ("build_train_network",), "every tested release"),)),
}


def _lookup(module: Any, dotted: str) -> Any:
    value = module
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _version() -> str:
    import mindspore

    return str(getattr(mindspore, "__version__", "?"))


def resolve(key: str) -> Any:
    """The module holding internal ``key`` on this MindSpore; ProbeUnavailable says why there is none."""
    internal = INTERNALS[key]
    errors = []
    for place in internal.places:
        try:
            module = importlib.import_module(place.module)
            for name in place.names:
                _lookup(module, name)
            return module
        except (ImportError, AttributeError) as exc:
            errors.append(f"{place.module}: {exc}")
    version = _version()
    # The advice first: a summary line keeps its first 160 characters.
    raise ProbeUnavailable(f"MindSpore {version} lacks {internal.what} this check relies on: "
                           f"{upgrade_advice(version)} ({'; '.join(errors)})")


def pynative_grads() -> tuple[str, Any, Any]:
    """How PYNATIVE_MODE grads run their forward and backward on this release.

    ("functions", ops.composite.base, None) from 2.9: two module functions. ("methods",
    ops.composite.base, _PyNativeExecutor) on 2.7 and 2.8: the grad operations'
    ``_pynative_forward_run`` methods, and the backward on the grad executor's class.
    """
    try:
        return "functions", resolve("grad_functions"), None
    except ProbeUnavailable as newer:
        try:
            executor = resolve("grad_executor")._PyNativeExecutor
            return "methods", resolve("grad_methods"), executor
        except ProbeUnavailable:
            raise newer from None
