"""The gradients a grad call returned, named for a message: ``input 0``, or the parameter's name.

ms.grad, ms.value_and_grad and GradOperation return gradients with respect to inputs
(chosen by ``grad_position``, or all of them with ``get_all``), to parameters (``weights``),
or both as ``(inputs, weights)``; value_and_grad returns ``(value, gradients)`` and
``has_aux`` ``(gradients, aux)``. The flags live on the grad operation.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Optional, Union, overload

from ...core.tensors import is_tensor
from .names import ParameterNames


def _leaves(value: Any) -> list:
    if is_tensor(value):
        return [value]
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _leaves(item)]
    return []


def gradients_of(output: Any, grad_op: Any) -> Any:
    """The gradients in what a GRAPH_MODE grad function returned (value and aux left out)."""
    if getattr(grad_op, "get_value", False) and isinstance(output, tuple) and len(output) == 2:
        return output[1]
    if getattr(grad_op, "has_aux", False) and isinstance(output, tuple) and len(output) == 2:
        return output[0]
    return output


def _positions(grad_op: Any, grad_position: Any, count: int) -> list[int]:
    if isinstance(grad_position, int) and not isinstance(grad_position, bool):
        return [grad_position]
    if isinstance(grad_position, (tuple, list)):
        return list(grad_position)
    return list(range(count)) if getattr(grad_op, "get_all", False) else [0]


class NamedGradients(Sequence):
    """[(name, tensor)] for each gradient, worked out on first use.

    Reading a Parameter's name waits for the PyNative pipeline to drain (measured: about
    50 ms after a 6-layer backward, against 0.4 us when idle), so naming every grad's
    gradients in the probe would stall each training step before its optimizer runs.
    Most listeners never look (a train-step cell's own grad), and those that do look
    right away, when the names are the same.
    """

    def __init__(self, grads: Any, grad_op: Any, weights: Optional[Any], grad_position: Any,
                 names: Optional[Callable[[list], list[str]]] = None) -> None:
        self._args: Optional[tuple] = (grads, grad_op, weights, grad_position, names)
        self._named: list[tuple[str, Any]] = []

    def _items(self) -> list[tuple[str, Any]]:
        if self._args is not None:
            self._named, self._args = _named(*self._args), None
        return self._named

    def tensors(self) -> list:
        """The gradient tensors, unnamed: nothing read."""
        return _leaves(self._args[0]) if self._args is not None else [tensor for _, tensor in self._named]

    @overload
    def __getitem__(self, index: int) -> tuple[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[str, Any]]: ...

    def __getitem__(self, index: Union[int, slice]) -> Any:
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and self._items() == list(other)

    __hash__ = None  # type: ignore[assignment]  # compared by value, like the list it stands for

    def __repr__(self) -> str:
        return repr(self._items())


def named_gradients(grads: Any, grad_op: Any, weights: Optional[Any], grad_position: Any,
                    names: Optional[Callable[[list], list[str]]] = None) -> NamedGradients:
    """The gradients, each named when first read (see NamedGradients); ``names(weights)``: their names, from a
    cache (``probes/names``: a training loop's grad takes the same list at every step)."""
    return NamedGradients(grads, grad_op, weights, grad_position, names)


def _weight_names(weights: Any, names: Optional[Callable[[list], list[str]]]) -> list[str]:
    listed = _as_list(weights)
    return [f"weight '{name}'" for name in (names or ParameterNames())(listed)]


def _named(grads: Any, grad_op: Any, weights: Optional[Any], grad_position: Any,
           names: Optional[Callable[[list], list[str]]] = None) -> list[tuple[str, Any]]:
    """[(name, tensor)] for each gradient: ``input 0``, ``weight 'dense.weight'``; ``gradient[i]`` when unsure."""
    by_list = bool(getattr(grad_op, "get_by_list", False)) and weights is not None
    by_position = bool(getattr(grad_op, "get_by_position", False) or getattr(grad_op, "get_all", False))
    weight_names = _weight_names(weights, names) if by_list else []
    if by_list and by_position and isinstance(grads, tuple) and len(grads) == 2:
        inputs, params = _leaves(grads[0]), _leaves(grads[1])
    elif by_list:
        inputs, params = [], _leaves(grads)
    else:
        inputs, params = _leaves(grads), []
    if len(params) != len(weight_names):
        return [(f"gradient[{i}]", leaf) for i, leaf in enumerate(_leaves(grads))]
    positions = _positions(grad_op, grad_position, len(inputs))
    if len(positions) != len(inputs):
        positions = list(range(len(inputs)))
    return [(f"input {p}", leaf) for p, leaf in zip(positions, inputs)] + list(zip(weight_names, params))


def _as_list(weights: Any) -> list:
    if weights is None:
        return []
    if isinstance(weights, (tuple, list)):
        return list(weights)
    try:
        return list(weights)  # a ParameterTuple
    except TypeError:
        return [weights]
