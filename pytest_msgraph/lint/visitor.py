"""The graph_syntax rules applied to one graph function's body (pure AST).

``GraphCodeVisitor`` walks a construct, bprop, a method they call or an ``@ms.jit``
function, and reports ``(node, rule, values)``; ``rules.lint_source`` turns those
into findings.
"""
from __future__ import annotations

import ast
from typing import Any, Callable, Optional

from ..core.graph_code import Function
from . import nn_classes
from .input_writes import PART, InputWrites
from .messages import BUILT_EFFECTS, EXCEPTION_FIX, INPUT_WRITES
from .per_call import PerCall

Report = Callable[..., None]  # report(node, rule, values, fix=None)
_NUMPY_MODULES = ("numpy", "scipy")
_THREAD_MODULES = ("threading", "multiprocessing", "concurrent")
_SIZE_FUNCTIONS = frozenset({"zeros", "ones", "empty", "arange", "eye", "identity", "linspace", "logspace", "tri",
                             "indices"})


def dotted(node: ast.AST) -> str:
    """``np.random.rand`` for the expression that names it; '' for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


class GraphCodeVisitor(ast.NodeVisitor):
    """Collects findings in one graph function body."""

    def __init__(self, function: Function, aliases: dict[str, str], report: Report,
                 module_classes: dict[str, str], is_construct: bool) -> None:
        self.aliases = aliases
        self.report = report
        self.module_classes = module_classes  # classes of this file: name -> "Cell" | "exception" | "class"
        self.per_call = PerCall(function, self.qualified)
        self.raised: set[int] = set()  # the calls a raise statement makes: MyError(...)
        self.calls: list[ast.Call] = []  # every call in the body, for the lint to follow into the project
        self._is_construct = is_construct
        self._root = function

    def qualified(self, node: ast.AST) -> str:
        """The module path a name stands for ('np.arange' -> 'numpy.arange'); '' when not a module's."""
        name = dotted(node)
        root, _, rest = name.partition(".")
        module = self.aliases.get(root)
        return f"{module}.{rest}".rstrip(".") if module else ""

    def built_class(self, func: ast.AST, qualified: str) -> Optional[str]:
        """How a call builds a class: 'random', 'Cell', 'class', 'exception' or 'missing'; None if it does not."""
        if isinstance(func, ast.Name) and func.id in self.module_classes:
            return self.module_classes[func.id]
        if qualified.startswith("mindspore.nn.") and qualified.count(".") == 2:
            found = nn_classes.kind(qualified.rpartition(".")[2])
            return None if found == "fixed" else found
        return None

    def visit_Try(self, node: ast.AST) -> None:
        self.report(node, "MSG001", {})
        self.generic_visit(node)

    visit_TryStar = visit_Try

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.report(node, "MSG012", {"target": dotted(node.target) or "name"})
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        if isinstance(node.exc, ast.Call):
            self.raised.add(id(node.exc))
        self.generic_visit(node)

    def _input_write(self, node: Any, how: str, name: str, given: str) -> None:
        """MSG010: ``x[i] = ...`` / ``x[i] += ...`` (an item write) or ``x += ...``, while x holds the caller's."""
        operator = f" {_OPERATORS.get(type(node.op), '?')}" if isinstance(node, ast.AugAssign) else " "
        shown = f"{name}[...]{operator}= ..." if how.startswith("item") else f"{name}{operator}= ..."
        whole = given.removesuffix(PART)
        held = "" if name == given else f" ({name} holds {'part of ' if whole != given else ''}it)"
        self.report(node, "MSG010", {"what": f"{shown} writes into construct's input {whole!r}{held}",
                                     "effect": INPUT_WRITES[how]})

    def visit_Call(self, node: ast.Call) -> None:
        self.calls.append(node)
        qualified = self.qualified(node.func)
        top = qualified.split(".")[0]
        shown = dotted(node.func) or "..."
        built = self.built_class(node.func, qualified)
        if built == "class" and id(node) in self.raised:
            built = "exception"
        if built == "missing":
            name = qualified.rpartition(".")[2]
            self.report(node, "MSG008", nn_classes.missing_words(shown, name), fix=nn_classes.missing_fix(name))
        elif built is not None:
            what = {"random": "Cell with random initial weights", "Cell": "Cell",
                    "exception": "user-defined exception"}.get(built, "user-defined class")
            self.report(node, "MSG007", {"name": shown, "what": what,
                                         "effect": BUILT_EFFECTS[built].format(name=shown)},
                        fix=EXCEPTION_FIX if built == "exception" else None)
        elif top == "random" or top in _NUMPY_MODULES:
            if ".random" in f".{qualified}":
                self.report(node, "MSG003", {"name": shown})
            elif any(self.per_call.touches(arg) for arg in _values_read(node, qualified)):
                self.report(node, "MSG002", {"name": shown})
        elif top in _THREAD_MODULES:
            self.report(node, "MSG004", {"name": shown})
        elif isinstance(node.func, ast.Attribute):
            self._method_call(node, node.func)
        self.generic_visit(node)

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> None:
        receiver = func.value
        if (isinstance(receiver, ast.Name) and (receiver.id in ("self", "cls") or receiver.id in self.aliases)) \
                or self.qualified(receiver):
            return  # a method of the cell itself, or a module's function (ops.max, np.max)
        if func.attr == "asnumpy":
            self.report(node, "MSG005", {})
        elif func.attr in ("max", "min") and node.args and not node.keywords and len(node.args) <= 2:
            args = ", ".join(ast.unparse(a) for a in node.args)
            self.report(node, "MSG009", {"name": f"{_shown(receiver)}.{func.attr}", "args": args})
        elif func.attr == "expand" and node.args and not _is_tensor_built(node.args[0], self.qualified) and (
                len(node.args) > 1 or isinstance(node.args[0], (ast.Tuple, ast.List))):
            self.report(node, "MSG011", {"name": f"{_shown(receiver)}.expand"})

    def visit_root(self) -> None:
        if self._is_construct:
            InputWrites(self._root, self._input_write).run()
        for statement in self._root.body:
            self.visit(statement)


def _shown(node: ast.AST, width: int = 40) -> str:
    """The expression as written, shortened: ``ops.maximum(r, 1.0 / r)`` for the receiver of ``.max(2)``."""
    text = dotted(node) or ast.unparse(node)
    if not dotted(node) and not isinstance(node, (ast.Call, ast.Subscript)):
        text = f"({text})"
    return text if len(text) <= width else text[:width - 1] + "…"


def _values_read(call: ast.Call, qualified: str) -> list:
    """The arguments of a numpy call that are data, not sizes: np.zeros((b, h, w)) and np.arange(n) take
    sizes, which are compile-time constants in a graph (a tensor there fails in both modes alike)."""
    name = qualified.rpartition(".")[2]
    if name == "full":
        return call.args[1:] + [k.value for k in call.keywords if k.arg == "fill_value"]
    if name in _SIZE_FUNCTIONS:
        return []
    return [*call.args, *(k.value for k in call.keywords)]


def _is_tensor_built(node: ast.AST, qualified: Callable[[ast.AST], str]) -> bool:
    return isinstance(node, ast.Call) and qualified(node.func).rpartition(".")[2] == "Tensor"


_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
              ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
              ast.LShift: "<<", ast.RShift: ">>"}
