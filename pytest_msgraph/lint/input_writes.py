"""MSG010's flow: which names still hold the caller's objects where construct writes into them (pure AST).

A write reaches the caller only while the name still holds the object the caller
passed: ``x, _ = self.lstm(x)``, ``x, y = x * 1, n``, ``x: Tensor = x.copy()`` rebind
``x``, and a later ``x[0] = 1`` writes into the copy (measured on MindSpore 2.10, both
modes). Statements are walked in order, along each branch of ``if``/``match``/``try``
and around loops; where branches meet, a name holds the caller's object if it does on
any of them, so a write after a rebind on one branch only is still reported.
``y = x`` makes ``y`` an alias of the same object; ``first = x[0]`` (and ``x[i][j]``, ``x[:, 0]``) makes
``first`` hold part of it, written ``x[...]``: an element of the caller's list or a view of its tensor,
and ``first[0] = 1`` changes the caller's data in PYNATIVE_MODE only, like ``x[0][0] = 1`` (measured on
2.7.2, 2.8.0 and 2.10). A bare slice (``x[1:]``) is left out: on a list it is a copy. ``first += 1`` is
not a write for a part: the caller's tensor row stays as it was in both modes. A name is rebound by every form of
binding: assignment (tuple, starred), annotated and augmented assignment, walrus,
``for`` and ``with ... as`` targets, ``except ... as``, ``import``, ``def``, ``del``.
"""
from __future__ import annotations

import ast
from typing import Callable, Iterable, Optional

State = dict[str, str]  # a name that holds a caller's object -> the input it came as ("x", or "x[...]": part of it)
PART = "[...]"
Found = Callable[[ast.stmt, str, str, str], None]  # found(statement, how, name written, input)
_NON_TENSOR_TYPES = frozenset({"int", "float", "bool", "str"})
_LOOP_PASSES = 3  # a loop body's state settles in two passes: a third proves it


def _merge(states: Iterable[Optional[State]]) -> Optional[State]:
    """Where paths meet: a name holds the caller's object if it does on any path (None: no path reaches)."""
    merged: Optional[State] = None
    for state in states:
        if state is not None:
            merged = {**state, **merged} if merged is not None else dict(state)
    return merged


def _bound_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def not_tensors(function: ast.AST) -> set[str]:
    """Inputs that cannot be tensors: annotated int/float/bool/str, or defaulting to such a literal
    (``x += 1`` on them changes nobody's value)."""
    args = function.args  # type: ignore[attr-defined]
    positional = args.posonlyargs + args.args
    defaults = dict(zip([a.arg for a in positional][len(positional) - len(args.defaults):], args.defaults))
    defaults.update((a.arg, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None)
    found = {a.arg for a in positional + args.kwonlyargs
             if isinstance(a.annotation, ast.Name) and a.annotation.id in _NON_TENSOR_TYPES}
    found |= {name for name, d in defaults.items()
              if isinstance(d, ast.Constant) and isinstance(d.value, (int, float, bool, str))}
    return found


class InputWrites:
    """Runs one construct body and calls ``found`` for each write into a caller's object."""

    def __init__(self, function: ast.AST, found: Found) -> None:
        args = function.args  # type: ignore[attr-defined]
        params = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs if a.arg not in ("self", "cls")]
        self._entry: State = {name: name for name in params}
        self._not_tensors = not_tensors(function)
        self._found = found
        self._seen: set[int] = set()  # a loop body is walked more than once: each write is said once
        self._body: list[ast.stmt] = function.body  # type: ignore[attr-defined]

    def run(self) -> None:
        self._block(self._body, dict(self._entry))

    def _say(self, node: ast.stmt, how: str, name: str, state: State) -> None:
        if id(node) not in self._seen:
            self._seen.add(id(node))
            self._found(node, how, name, state[name])

    def _block(self, body: list[ast.stmt], state: Optional[State]) -> Optional[State]:
        for statement in body:
            if state is None:
                return None  # after a return, raise, break or continue: nothing runs on this path
            state = self._statement(statement, state)
        return state

    def _statement(self, node: ast.stmt, state: State) -> Optional[State]:
        self._walruses(node, state)
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._item_write(node, target, state)
            for target in node.targets:
                self._bind(target, node.value, state)
        elif isinstance(node, ast.AugAssign):
            self._augmented(node, state)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._item_write(node, node.target, state)
                self._bind(node.target, node.value, state)
        elif isinstance(node, (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try,
                               ast.Match)) or type(node).__name__ == "TryStar":
            return self._compound(node, state)
        elif isinstance(node, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return None
        else:
            self._unbind(_statement_bindings(node), state)
        return state

    def _compound(self, node: ast.stmt, state: State) -> Optional[State]:
        if isinstance(node, ast.If):
            return _merge([self._block(node.body, dict(state)), self._block(node.orelse, dict(state))])
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return self._loop(node, state)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._unbind(_bound_names(item.optional_vars), state)
            return self._block(node.body, state)
        if isinstance(node, ast.Match):
            return _merge([self._block(case.body, self._unbound(state, case.pattern)) for case in node.cases]
                          + [state])  # no case may match
        return self._try(node, state)

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, state: State) -> Optional[State]:
        entry = state
        if isinstance(node, ast.For) and isinstance(node.iter, (ast.Tuple, ast.List)) and node.iter.elts:
            entry = self._once(node, state)  # over a literal that is not empty: the body runs at least once
        for _ in range(_LOOP_PASSES):  # the body may run 0, 1 or more times: merge until nothing changes
            merged = _merge([entry, self._once(node, entry)]) or {}
            if merged == entry:
                break
            entry = merged
        return self._block(node.orelse, dict(entry))

    def _once(self, node: ast.For | ast.AsyncFor | ast.While, state: State) -> State:
        """The state after one run of the loop's body (a break or return on every path: the state it began with)."""
        start = dict(state)
        if not isinstance(node, ast.While):
            self._unbind(_bound_names(node.target), start)
        after = self._block(node.body, start)
        return after if after is not None else state

    def _try(self, node: ast.stmt, state: State) -> Optional[State]:
        body = self._block(node.body, dict(state))  # type: ignore[attr-defined]
        # a handler runs after any part of the body: from the entry or the body's end, whichever holds more
        handlers = [self._block(h.body, self._without(_merge([state, body]), [h.name] if h.name else []))
                    for h in node.handlers]  # type: ignore[attr-defined]
        orelse = self._block(node.orelse, dict(body)) if body is not None else None  # type: ignore[attr-defined]
        out = _merge([orelse, *handlers])
        final: list[ast.stmt] = node.finalbody  # type: ignore[attr-defined]
        return self._block(final, out) if final and out is not None else out

    def _unbound(self, state: State, pattern: ast.AST) -> State:
        names = [n.name for n in ast.walk(pattern) if isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name]
        return self._without(state, names) or {}

    @staticmethod
    def _without(state: Optional[State], names: list[str]) -> Optional[State]:
        return None if state is None else {k: v for k, v in state.items() if k not in names}

    def _item_write(self, node: ast.stmt, target: ast.AST, state: State, how: str = "item") -> None:
        """``x[i] = ...``, ``x[i][j] = ...``, ``x[i] += ...`` on a name that holds a caller's object."""
        name = _subscripted(target)
        if name in state:
            self._say(node, how, name, state)

    def _augmented(self, node: ast.AugAssign, state: State) -> None:
        target = node.target
        if isinstance(target, ast.Subscript):
            self._item_write(node, target, state, "item_augmented")
        elif isinstance(target, ast.Name) and target.id in state:
            # The input or an alias of it (y = x; y += 1): GRAPH_MODE writes back into the caller's tensor.
            given = state[target.id]
            if not given.endswith(PART) and given not in self._not_tensors:
                self._say(node, "augmented", target.id, state)
            del state[target.id]  # PYNATIVE_MODE rebinds the name to the result

    def _bind(self, target: ast.AST, value: ast.AST, state: State) -> None:
        """Rebind the target's names; ``y = x`` (and ``a, y = b, x``) makes y hold what x holds."""
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value.elts) \
                and not any(isinstance(e, ast.Starred) for e in [*target.elts, *value.elts]):
            held = [_held(v, state) for v in value.elts]
            for element, source in zip(target.elts, held):  # all values are read before any name is bound
                self._unbind(_bound_names(element), state)
                if source is not None and isinstance(element, ast.Name):
                    state[element.id] = source
            return
        source = _held(value, state)
        if isinstance(target, (ast.Name, ast.Tuple, ast.List, ast.Starred)):
            self._unbind(_bound_names(target), state)
        if source is not None and isinstance(target, ast.Name):
            state[target.id] = source

    @staticmethod
    def _unbind(names: Iterable[str], state: State) -> None:
        for name in names:
            state.pop(name, None)

    def _walruses(self, node: ast.stmt, state: State) -> None:
        """``(x := ...)`` in the statement's own expressions (not in the blocks it holds)."""
        for child in _own_expressions(node):
            for walrus in ast.walk(child):
                if isinstance(walrus, ast.NamedExpr):
                    self._bind(walrus.target, walrus.value, state)


def _held(value: ast.AST, state: State) -> Optional[str]:
    """What of a caller's object ``value`` is: the input (``x``, an alias), part of it (``x[0]``), or None."""
    if isinstance(value, ast.Name):
        return state.get(value.id)
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Slice):
        return None  # x[1:] copies a list
    name = _subscripted(value)
    return state[name].removesuffix(PART) + PART if name in state else None


def _subscripted(node: ast.AST) -> Optional[str]:
    """``x`` for ``x[i]``, ``x[i][j]``, ``x[:, 0]``; None for anything else (a bare name included)."""
    if not isinstance(node, ast.Subscript):
        return None
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _own_expressions(node: ast.stmt) -> list[ast.AST]:
    blocks = ("body", "orelse", "finalbody", "handlers", "cases")
    return [value for field, value in ast.iter_fields(node) if field not in blocks and isinstance(value, ast.AST)]


def _statement_bindings(node: ast.stmt) -> list[str]:
    """Names a simple statement binds or unbinds: import, def, class, del."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in node.names]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Delete):
        return [n for target in node.targets if isinstance(target, ast.Name) for n in [target.id]]
    return []
