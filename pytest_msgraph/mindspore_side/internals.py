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
import types
from typing import Any, Iterator

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


# Names read off MindSpore's objects rather than imported (verified on every tested release):
# - GRAPH_MODE grads: ms.grad, ms.value_and_grad and GradOperation return a jitted closure of this name,
#   whose free variables say what it differentiates (probes/locations.py, grad_calls.py, compiles.py).
#   ``verify_graph_grad_closure`` checks it when the probes are made, so a release that renames it is said.
GRAPH_GRAD_CLOSURE = "after_grad"
GRAPH_GRAD_TARGET = ("fn", "grad_")  # the function differentiated and the grad operation (weights, grad_position too)
# - The grad operations' classes, by name: which public API a grad came from (labels in findings only).
GRAD_OPERATION, GRAD_FUNCTION = "GradOperation", "_Grad"  # _Grad: behind ms.grad and ms.value_and_grad
GRAD_CLASSES = (GRAD_OPERATION, GRAD_FUNCTION)
# - nn.WithLossCell keeps its loss here; user wrappers written after it too (mixed_precision). The public
#   route (the child that is not ``backbone_network``) is tried first; this name only for such wrappers.
LOSS_ATTRIBUTE = "_loss_fn"


def _codes(code: Any) -> Iterator[types.CodeType]:
    for const in getattr(code, "co_consts", ()):
        if isinstance(const, types.CodeType):
            yield const
            yield from _codes(const)


def verify_graph_grad_closure() -> None:
    """ProbeUnavailable unless the grad operations still build the closure the probes recognise.

    Read from the code objects (nothing compiled, no mode switched): a release that renamed the
    closure or its free variables would otherwise leave every GRAPH_MODE grad unheard, silently.
    """
    base = importlib.import_module("mindspore.ops.composite.base")
    for name in GRAD_CLASSES:
        cls = getattr(base, name, None)
        call = vars(cls).get("__call__") if cls is not None else None
        if not any(code.co_name == GRAPH_GRAD_CLOSURE and set(GRAPH_GRAD_TARGET) <= set(code.co_freevars)
                   for code in _codes(getattr(call, "__code__", None))):
            version = _version()
            raise ProbeUnavailable(f"MindSpore {version} lacks the GRAPH_MODE grad closure this check relies on: "
                                   f"{upgrade_advice(version)} (mindspore.ops.composite.base.{name}.__call__ builds "
                                   f"no '{GRAPH_GRAD_CLOSURE}' over {', '.join(GRAPH_GRAD_TARGET)})")


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
