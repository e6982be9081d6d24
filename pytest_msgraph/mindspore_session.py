"""The MindSpore side of a test session: loaded once, then used around every test."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Optional

from .context_guard import ContextGuard
from .device import current_device, select_device
from .modes import Mode
from .seeding import seed_everything

# MindSpore writes analyze_fail.ir under $MS_OM_PATH/rank_0/om (the working directory by default).
OM_PATH_VAR = "MS_OM_PATH"


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:].strip("_") or "test"


class MindSporeSession:
    """Holds the imported module, the context at session start and the chosen device."""

    def __init__(self, ms: Any, seed: int, om_root: Optional[Path]) -> None:
        self.ms = ms
        self.seed = seed
        self.version = getattr(ms, "__version__", "unknown")
        self.guard = ContextGuard(ms)
        self.device = current_device(ms)
        # A user who set MS_OM_PATH chose where compile artifacts go; keep their choice.
        self._om_root = None if os.environ.get(OM_PATH_VAR) else om_root

    @classmethod
    def load(cls, device: Optional[str], seed: int, om_root: Optional[Path]) -> "MindSporeSession":
        """Import MindSpore and select the device (DeviceUnavailable if it cannot)."""
        import mindspore as ms

        if device is not None:
            select_device(ms, device)
        return cls(ms, seed, om_root)

    @property
    def baseline_mode(self) -> Mode:
        return Mode(self.guard.baseline["mode"])

    def current_mode(self) -> Mode:
        return Mode(self.guard.mode())

    def begin_test(self, nodeid: str, mode: Optional[Mode]) -> dict:
        """Seed, enter the test's mode; return the context the test starts from."""
        seed_everything(self.ms, self.seed)
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
        now = self.guard.snapshot()
        leaked = {k: (started_from[k], now[k]) for k in started_from if now.get(k) != started_from[k]}
        self.guard.restore(self.guard.baseline, now)
        return leaked
