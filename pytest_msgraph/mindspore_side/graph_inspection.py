"""Find value-dependent output shapes in a compiled GRAPH_MODE cell, and where its source makes them.

The compiled graph is read as MindIR (every function graph: control-flow branches are
graphs of their own), which gives each node's output shape. A node whose output has
an unknown dimension (-1) while all its inputs are static starts a dynamic shape;
what is downstream inherits it and is not reported. Inputs declared dynamic with
``set_inputs`` are -1 already, so what follows from them alone is not reported
either; the ops known to be value-dependent are reported even then. A call whose
result is dynamic although its inputs are not is control flow whose branches give
different shapes. MindIR records no source lines, so they come from ``construct``.
"""
from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from typing import Any, Optional

from . import internals

# Ops whose output shape depends on input values, and the Python names that create them.
VALUE_DEPENDENT = {
    "MaskedSelect": ("masked_select",),
    "NonZero": ("nonzero", "non_zero", "argwhere"),
    "Unique": ("unique",),
    "UniqueConsecutive": ("unique_consecutive",),
    "UniqueWithPad": ("unique_with_pad",),
}
CONTROL_FLOW = "control flow (if/else branches of different shapes)"
# Random ops: their streams differ between GRAPH_MODE and PYNATIVE_MODE even from one seed.
RANDOM_OPS = frozenset({
    "StandardNormal", "UniformReal", "UniformInt", "RandomStandardNormal", "Dropout", "DropoutGenMask",
    "DropoutDoMask", "DropoutExt", "RandomChoiceWithMask", "Multinomial", "RandomCategorical", "Gamma",
    "Poisson", "RandomGamma", "RandomPoisson", "Randperm", "RandpermV2", "NormalExt", "UniformExt",
    "BernoulliExt", "RandnLike", "RandLike", "Randn", "Rand", "RandInt", "RandIntLike", "InplaceNormal",
    "InplaceUniform", "InplaceRandom", "InplaceBernoulliScalar", "InplaceBernoulliTensor", "Generator",
})


def graph_id(cell: Any) -> tuple:
    """Identifies the cell's current compiled graph (a new one per recompile), for caching."""
    return (id(cell), getattr(cell, "create_time", None), getattr(cell, "phase", None),
            getattr(cell, "arguments_key", None))


def compiled_graph(cell: Any) -> Optional[bytes]:
    """The cell's last compiled graph as MindIR bytes, or None (not compiled, or another MindSpore)."""
    _cell_graph_executor = internals.resolve("graph_executors")._cell_graph_executor
    exec_id = ".".join([cell.phase, str(cell.create_time), str(id(cell))])
    try:
        return _cell_graph_executor._get_func_graph_proto(cell, exec_id, "mind_ir", True)
    except RuntimeError:
        # Graphs holding Python fallbacks (PyExecute: dict outputs, numpy calls) cannot be
        # exported; they are not inspected (the cross-test comparison still covers them).
        return None


def jit_graph(executor: Any, phase: Optional[str]) -> Optional[bytes]:
    """The graph a ``_JitExecutor`` compiled for ``phase`` (a GRAPH_MODE grad's, say), as MindIR bytes, or None."""
    if not phase:
        return None
    try:
        return executor._graph_executor.get_func_graph_proto(phase, "mind_ir", True)
    except (AttributeError, RuntimeError):
        return None  # another MindSpore, or a graph that cannot be exported (Python fallbacks)


def _shape(node: Any) -> Optional[list]:
    for attr in node.attribute:
        if attr.name == "shape" and attr.tensors:
            return list(attr.tensors[0].dims)
    return None


def _op_name(op_type: str, graph_names: set) -> str:
    """'REF::MaskedSelect:12' -> 'MaskedSelect'; a call of a function graph -> control flow."""
    name = op_type[len("REF::"):] if op_type.startswith("REF::") else op_type
    name = name.rsplit(":", 1)[0] if name.rsplit(":", 1)[-1].isdigit() else name
    if name in graph_names or ":" in name:
        return CONTROL_FLOW
    return name


@dataclasses.dataclass(frozen=True)
class GraphFacts:
    random_ops: frozenset  # the random ops the graph holds
    roots: tuple  # the ops that start a value-dependent shape, known value-dependent ops first


# A negative int64 (a -1 dimension) as a protobuf varint: eight 0xff bytes and a 0x01.
_NEGATIVE_VARINT = b"\xff" * 8 + b"\x01"


def _holds(mind_ir: bytes, op: str) -> bool:
    return f"REF::{op}:".encode() in mind_ir


def analyse(mind_ir: bytes) -> GraphFacts:
    """What the checks need from a compiled graph, read once per graph.

    MindSpore's MindIR classes parse in pure Python (milliseconds for a small net), so
    the bytes are scanned first: a graph with no negative dimension anywhere and no
    value-dependent op has no dynamic shape, and is not parsed at all.
    """
    random_ops = frozenset(op for op in RANDOM_OPS if _holds(mind_ir, op))
    if _NEGATIVE_VARINT not in mind_ir and not any(_holds(mind_ir, op) for op in VALUE_DEPENDENT):
        return GraphFacts(random_ops, ())
    return GraphFacts(random_ops, tuple(dynamic_roots(mind_ir)))


def dynamic_roots(mind_ir: bytes) -> list[str]:
    """The ops that start a value-dependent shape, in graph order, each once."""
    model = internals.resolve("mind_ir").ModelProto()
    model.ParseFromString(mind_ir)
    graphs = [model.graph, *model.functions]
    graph_names = {g.name for g in graphs}
    dynamic = set()
    for graph in graphs:
        for value in graph.input:
            if any(d < 0 for tensor in value.tensor for d in tensor.dims):
                dynamic.add(value.name)
    roots: list[str] = []
    op_of: dict[str, str] = {}
    for graph in graphs:  # the main graph first, so branches see their free variables
        for node in graph.node:
            name = op_of[node.name] = _op_name(node.op_type, graph_names)
            shape = _shape(node)
            if shape is None or not any(d < 0 for d in shape):
                continue
            if name == "TupleGetItem" and node.input and node.input[0] in op_of:
                name = op_of[node.input[0]]  # Unique returns a tuple: its items show the -1
            dynamic.add(node.name)
            inputs_dynamic = any(i in dynamic for i in node.input)
            if inputs_dynamic and name not in VALUE_DEPENDENT:
                continue
            if name not in roots:
                roots.append(name)
    # Known value-dependent ops first: they are the cause a control-flow join inherits.
    return sorted(roots, key=lambda op: op not in VALUE_DEPENDENT)


class GraphCache:
    """GraphFacts per compiled graph, shared by the checks that read graphs."""

    def __init__(self) -> None:
        self._facts: dict = {}

    def facts(self, cell: Any) -> Optional[GraphFacts]:
        key = graph_id(cell)
        if key not in self._facts:
            proto = compiled_graph(cell)
            self._facts[key] = analyse(proto) if proto else None
        return self._facts[key]

    def jit_facts(self, executor: Any, phase: Optional[str]) -> Optional[GraphFacts]:
        """The same for a ``_JitExecutor``'s graph of ``phase`` (a phase names one compiled graph)."""
        key = ("jit", phase)
        if phase and key not in self._facts:
            proto = jit_graph(executor, phase)
            self._facts[key] = analyse(proto) if proto else None
        return self._facts.get(key)


def _call_name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _matches(node: ast.AST, cell: Any, op: str) -> bool:
    if isinstance(node, ast.Call):
        name = _call_name(node.func)
        if name in VALUE_DEPENDENT.get(op, ()) or name == op:
            return True
        # self.uniq(x), with self.uniq = ops.Unique() in __init__
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            primitive = getattr(cell, func.attr, None)
            return getattr(primitive, "name", None) == op
    if op == "NonZero" and isinstance(node, ast.Subscript):
        return isinstance(node.slice, (ast.Compare, ast.BoolOp))  # x[x > 0.5] compiles to NonZero
    return False


def source_lines(cell: Any, ops: list[str]) -> dict[str, list[str]]:
    """{op: ["file.py:12", ...]}: where the constructs of ``cell`` and its sub-cells make each op."""
    found: dict[str, list[str]] = {op: [] for op in ops}
    if not ops:
        return found  # reading sources is the slow part: skip it when there is nothing to place
    seen = set()
    for _, sub in cell.cells_and_names():
        construct = getattr(type(sub), "construct", None)
        if construct is None or construct in seen:
            continue
        seen.add(construct)
        try:
            lines, first = inspect.getsourcelines(construct)
            tree = ast.parse(textwrap.dedent("".join(lines)))
            filename = inspect.getsourcefile(construct) or "?"
        except (OSError, TypeError, SyntaxError):
            continue
        for node in ast.walk(tree):
            for op in ops:
                if _matches(node, sub, op):
                    found[op].append(f"{filename}:{first + getattr(node, 'lineno', 1) - 1}")
    return {op: sorted(set(places)) for op, places in found.items()}
