"""What the checks built on the probes share: the session's probe hub, listened to during each test's call."""
from __future__ import annotations

from typing import Any, Optional

from ...core.releases import parse
from ...mindspore_side.probes import Probes
from ...mindspore_side.probes.deferred_reads import DEFERRED
from ..findings import TestRun
from ..frame import Check


class ProbedCheck(Check):
    """A check that listens to the probes during each test's call phase."""

    probes: Probes

    def open_session(self, session: Any) -> None:
        self.probes = session.probes()  # ProbeUnavailable makes the check inactive
        self.session = session
        super().open_session(session)

    def session_started(self, mindspore: Any) -> None:
        self.ms = mindspore

    def test_started(self, run: TestRun) -> None:
        self.run = run  # this check's handle on the test's run: what it emits during events is its own
        self.failure: Optional[Exception] = None
        self.active = self.watches(run)
        if self.active:
            self.probes.reads.flush()  # nothing of an earlier test may run into this one's (an interrupted test)
            self.reset()
            self.probes.forget_calls()
            self.probes.listen(self)

    def test_finished(self, run: TestRun) -> None:
        self.probes.reads.flush()  # what the checks kept to read later, read now (every check's, before any reports)
        self.probes.stop(self)
        if self.active:
            self.report(run)
        if self.failure is None:
            return
        if run.raised and getattr(self.failure, "msgraph_event", "") == DEFERRED:
            # A value kept to read later that cannot be read in a test that raised: the test's own error (PyNative's
            # errors surface again at every read), not this check's crash. Said, since the values went unchecked.
            self.run.emit(f"{self.name} did not check this test's values: the values it kept could not be read "
                          f"after the test's own error ({type(self.failure).__name__}: {self.failure}).")
            return
        raise self.failure  # the runner reports it as this check's crash, after the test

    def probe_failed(self, event: str, exc: Exception) -> None:
        """A handler raised inside the user's call: keep the first error, let the test go on."""
        if self.failure is None:
            exc.msgraph_event = event  # type: ignore[attr-defined]  # the crash names the event, not test_finished
            self.failure = exc

    def emit(self, message: str, **details: Any) -> None:
        """A finding during the test (from a probe event), for this check."""
        self.run.emit(message, **details)

    def watches(self, run: TestRun) -> bool:
        """Whether to listen during this test (``self.run`` is set already)."""
        return True

    def reset(self) -> None:
        """Forget the previous test (``self.run`` is the new one)."""

    def report(self, run: TestRun) -> None:
        """Emit this test's findings and counts."""


def rerun_after_set_grad(ms: Any, call: Any) -> Optional[tuple[str, str]]:
    """(cause, fix) when a PYNATIVE_MODE grad re-ran the forward of a network that had set_grad().

    Measured: MindSpore 2.7 and 2.8 run the forward again for value_and_grad (and any grad with
    has_aux) after ``net.set_grad(); net(x)``, BatchNorm updating twice; 2.9 and later reuse the
    recorded forward. None when set_grad() was missing, the usual cause.
    """
    version = getattr(ms, "__version__", "?")
    if not call.set_grad or call.replayed is not call.fn or (parse(version) or (0,)) >= (2, 9):
        return None
    return (f"although set_grad() was called: MindSpore {version}'s {call.api} runs the forward again "
            "(2.9 and later reuse the recorded one).",
            "Fix: take loss and grads from one ms.value_and_grad call, without the plain forward before it, or "
            "upgrade to mindspore>=2.9, whose value_and_grad reuses the forward set_grad() recorded.")


def describe_cell(cell: Any) -> str:
    return type(cell).__name__
