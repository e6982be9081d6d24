"""The MindSpore side of a test session: loaded once, then used around every test."""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any, ContextManager, Optional

from ..core.modes import Mode
from . import seeding
from .constructions import Constructions
from .context_guard import ContextGuard
from .device import card_count, current_device, select_device
from .probes import Probes, ProbeUnavailable
from .probes.compiles import CompileProbe

# MindSpore writes analyze_fail.ir under $MS_OM_PATH/rank_0/om (the working directory by default).
OM_PATH_VAR = "MS_OM_PATH"


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:].strip("_") or "test"


class MindSporeSession:
    """Holds the imported module, the context at session start and the chosen device."""

    def __init__(self, ms: Any, seed: int, om_root: Optional[Path], device_id: Optional[int] = None) -> None:
        self.ms = ms
        self.seed = seed
        self.version = getattr(ms, "__version__", "unknown")
        self.guard = ContextGuard(ms)
        self.device = current_device(ms)
        self.device_id = device_id
        self.restore_context = True  # ini ms_restore_context = false: each test's changes carry over
        self.repro_dir: Optional[Path] = None  # --ms-repro
        self.values_skip: Optional[tuple[str, ...]] = None  # values recorded for the report: ms_values_skip's patterns
        self.constructions: Optional[Constructions] = None  # recorded only with --ms-repro
        self.compiles: Optional[CompileProbe] = None  # None when this MindSpore lacks the internals
        self.compiles_unavailable: Optional[str] = None
        self._probes: Optional[Probes] = None  # the probe hub, made when a check or the idle rule first asks
        self._probes_missing: Optional[ProbeUnavailable] = None
        # A user who set MS_OM_PATH chose where compile artifacts go; keep their choice.
        self._om_root = None if os.environ.get(OM_PATH_VAR) else om_root

    @classmethod
    def load(cls, settings: Any, worker_index: int, om_root: Optional[Path]) -> "MindSporeSession":
        """Import MindSpore, select device, card and jit level (DeviceUnavailable if it cannot)."""
        import mindspore as ms

        device = settings.device or current_device(ms)
        device_id = None
        if settings.device_id is not None and device != "CPU":  # one "card" on CPU: a no-op
            if settings.device_id == "auto":
                device_id = worker_index % max(card_count(ms, device), 1)
            else:
                device_id = int(settings.device_id)
        if settings.device is not None or device_id is not None:
            select_device(ms, device, device_id)
        if settings.jit_level is not None:
            # Part of the session-start context, so every test starts from it.
            ms.set_context(jit_config={"jit_level": settings.jit_level})
        session = cls(ms, settings.seed, om_root, device_id)
        session.restore_context = settings.restore_context
        session.values_skip = settings.values_skip
        if settings.repro_dir is not None:  # each Cell's construction, for the repro scripts (nothing recorded else)
            session.repro_dir = Path(settings.repro_dir)
            session.constructions = Constructions(ms.nn.Cell)
            session.constructions.record()
        try:
            session.compiles = CompileProbe(ms)
        except ProbeUnavailable as exc:
            session.compiles_unavailable = str(exc)
        return session

    def probes(self) -> Probes:
        """The session's probe hub: its patches are process-wide, so every check and the idle rule share it.

        ProbeUnavailable (the same one every time) when this release lacks what the probes patch.
        """
        if self._probes is None:
            if self._probes_missing is not None:
                raise self._probes_missing
            try:
                self._probes = Probes(self.ms)
            except ProbeUnavailable as exc:
                self._probes_missing = exc
                raise
        return self._probes

    def probes_paused(self) -> ContextManager[Any]:
        """No probe listener hears the calls made inside (nothing to pause before the hub is made)."""
        return self._probes.paused() if self._probes is not None else contextlib.nullcontext()

    def compiles_paused(self) -> ContextManager[Any]:
        """Compiles made inside count for no test (a fixture's own graphs)."""
        return self.compiles.paused() if self.compiles is not None else contextlib.nullcontext()

    def rebase(self) -> None:
        """Make the context as it is now (after collection) the one every test starts from."""
        self.guard.baseline = self.guard.snapshot()

    def current_mode(self) -> Mode:
        return Mode(self.guard.mode())

    def begin_test(self, nodeid: str, mode: Optional[Mode]) -> dict:
        """Seed, enter the test's mode; return the context the test starts from."""
        seeding.begin(self.ms, self.seed)
        if mode is not None:
            self.guard.set_mode(int(mode))
        if self._om_root is not None:
            os.environ[OM_PATH_VAR] = str(self._om_root / _safe_name(nodeid))
        return self.guard.snapshot()

    def om_dir(self, nodeid: str) -> Optional[Path]:
        """Where a compile failure of this test left analyze_fail.ir, if the plugin chose it."""
        if self._om_root is None:
            return None
        return self._om_root / _safe_name(nodeid) / "rank_0" / "om"

    def end_test(self, started_from: dict) -> dict:
        """Restore the session-start context; return {key: (at start, at end)} the test left changed."""
        seeding.end()
        now = self.guard.snapshot()
        leaked = {k: (started_from[k], now[k]) for k in started_from if now.get(k) != started_from[k]}
        if self.restore_context:
            self.guard.restore(self.guard.baseline, now)
        return leaked
