"""``EventCheck``: the public base class for a check that hears MindSpore calls, as the built-in ones do.

The plugin's probes patch ``nn.Cell.__call__``, MindSpore's grad entry points and its
compile executors once per process, and keep those patches in place during every test.
A check that patched ``Cell.__call__`` itself would be overridden by them (and would see
nothing); an ``EventCheck`` receives the very events the built-in checks use instead.
Define any of these methods; each is called only during the call phase of a test whose
policy for the check is not ``off``:

- ``cell_called(cell, args, output, error)``: after each outermost Cell call (the network
  the test calls; sub-cells run inside it, and in GRAPH_MODE only the outermost call
  reaches Python). ``error`` is the exception it raised, or None.
- ``grad_called(call)``: after each grad (``ms.grad``, ``ms.value_and_grad``,
  ``GradOperation``, ``ops.vjp``) the test calls. ``call`` has ``fn`` (the Cell or
  function), ``args``, ``api``, ``mode`` ("GRAPH_MODE"/"PYNATIVE_MODE") and ``location``.
- ``gradients_computed(call, gradients)``: the gradients of that call, a list of
  ``(name, Tensor)`` named ``input 0``, ``weight 'dense.weight'`` (``gradient[i]`` when
  the grad's options leave it unsure).
- ``compiled(event)``: after the test, once per graph its calls needed: a dict with
  ``kind`` ("cell", "jit", "grad"), ``what``, ``signature``, ``seconds``, ``location``,
  ``cause`` ("first compile", "shape", "scalar_value"...) and ``cached``.

Emit with ``self.emit(message, fix=..., cell=..., **details)`` during an event, or from
``report(run)``, which is called after the test's events (count there with ``run.count``).
``self.run`` is the test's ``TestRun``; ``reset()`` is called before each test.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from ..findings import TestRun
from .probed import ProbedCheck

_PUBLIC_NAMES = {"forward_finished": "cell_called", "grad_finished": "grad_called",
                 "grads_computed": "gradients_computed"}


class EventCheck(ProbedCheck):
    """Base class for a check built on the plugin's MindSpore events (see the module docstring)."""

    def cell_called(self, cell: Any, args: tuple, output: Any, error: Optional[BaseException]) -> None:
        """After each outermost Cell call of the test."""

    def grad_called(self, call: Any) -> None:
        """After each grad call of the test."""

    def gradients_computed(self, call: Any, gradients: Sequence) -> None:
        """The named gradients a grad call returned: a sequence of (name, Tensor), named on first read."""

    def compiled(self, event: dict) -> None:
        """After the test: one graph its calls needed (compiled now, or reused from an earlier test)."""

    # The probes' own event names, routed to the public ones above.
    def forward_finished(self, cell: Any, args: tuple, out: Any, failed: Optional[BaseException]) -> None:
        self.cell_called(cell, args, out, failed)

    def grad_finished(self, call: Any) -> None:
        self.grad_called(call)

    def grads_computed(self, call: Any, named: Sequence) -> None:
        self.gradients_computed(call, named)

    def probe_failed(self, event: str, exc: Exception) -> None:
        super().probe_failed(_PUBLIC_NAMES.get(event, event), exc)

    def test_finished(self, run: TestRun) -> None:
        if self.active:
            for event in getattr(run, "compile_events", None) or ():
                try:
                    self.compiled(event)
                except Exception as exc:  # said as a crash in compiled, the event, not in test_finished
                    self.probe_failed("compiled", exc)
        super().test_finished(run)
