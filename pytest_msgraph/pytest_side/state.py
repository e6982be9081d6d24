"""The plugin's per-session state, kept in ``config.stash``."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import pytest

from ..checks.frame import CheckRegistry, resolve_policies
from ..checks.runner import CheckRunner
from ..core.releases import status_line
from ..mindspore_side.device import DeviceUnavailable, ensure_available
from ..mindspore_side.session import MindSporeSession
from ..pairs.fixture_modes import FixtureModes
from ..pairs.idle_variants import IdleVariants
from ..reports.results import Results
from .collection_context import CollectionContextWatcher
from .late_failures import fail_tests
from .markers import MisusedMarkers
from .options import Settings, read_settings
from .warning import warn_at

STATE_KEY = pytest.StashKey["PluginState"]()


class PluginState:
    def __init__(self, config: pytest.Config, settings: Settings, registry: CheckRegistry) -> None:
        self.config = config
        self.settings = settings
        self.registry = registry
        try:
            policies = resolve_policies(
                registry, settings.check_policies["ini"], settings.check_policies["cli"]
            )
        except ValueError as exc:
            raise pytest.UsageError(f"msgraph: --ms-check / ms_checks: {exc}.") from None
        self.runner = CheckRunner(registry, policies)
        self.results = Results()
        self.ms: Optional[MindSporeSession] = None
        # Set when --ms-device names a backend this install lacks and the user chose to skip.
        self.device_skip_reason: Optional[str] = None
        self._warned_inactive: set[str] = set()
        # Set when the report could not be written at the end; shown in the terminal summary.
        self.report_error: Optional[str] = None
        self.pairing: Any = None  # the pairs.ordering.VariantPairing plugin, registered in pytest_configure
        self.collection_context = CollectionContextWatcher(self)
        self.misused_markers = MisusedMarkers()
        # {pair name: exception type} of PYNATIVE_MODE variants that failed in this process,
        # so that the GRAPH_MODE twin's compile-failure advice is given only where it applies.
        self.eager_failures: dict[str, str] = {}
        self.idle_variants = IdleVariants(settings.both_modes)
        self.fixture_modes = FixtureModes(lambda: self.ms)  # registered in pytest_configure
        # Errors of the session itself (a warning filter raised a check's "inactive" warning).
        self.session_errors: list[str] = []
        self._notes_sent = False

    def release(self) -> None:
        """The session is over: let go of the checks, and of what their last test left in them (its networks,
        compiled functions, inputs), so that it is freed while MindSpore can still free it. An xdist worker
        keeps its config, and so this state, until the process exits (mindspore_side/session_end.py)."""
        self.registry = CheckRegistry()
        self.runner = CheckRunner(self.registry, self.runner.policies)

    @classmethod
    def from_config(cls, config: pytest.Config) -> "PluginState":
        settings = read_settings(config)
        registry = CheckRegistry()
        try:
            config.hook.pytest_msgraph_register_checks(registry=registry, config=config)
        except ValueError as exc:
            raise pytest.UsageError(f"msgraph: {exc}.") from None
        return cls(config, settings, registry)

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    @property
    def is_controller(self) -> bool:
        """The xdist controller: it collects reports but runs no test."""
        return self.config.pluginmanager.has_plugin("dsession")

    def needs_mindspore(self, items=()) -> bool:
        return (
            self.settings.explicit
            or "mindspore" in sys.modules
            or any(
                item.get_closest_marker("both_modes")
                or item.get_closest_marker("ms_device")
                or "ms_mode" in getattr(item, "fixturenames", ())
                for item in items
            )
        )

    def activate(self) -> None:
        """Import MindSpore, choose the device and snapshot the context, once."""
        if self.ms is not None or self.device_skip_reason is not None:
            return
        try:
            if self.is_controller:
                # The controller runs no test: it only rejects a bad device once,
                # before any worker starts.
                self._validate_device()
                return
            self.ms = MindSporeSession.load(self.settings, self._worker_index(), self._om_root())
        except DeviceUnavailable as exc:
            if self.settings.device_unavailable != "skip":
                raise pytest.UsageError(
                    f"msgraph: {exc}. Install the MindSpore build for that backend, pick an available device, "
                    "or pass --ms-device-unavailable=skip to skip every test instead."
                ) from None
            self.device_skip_reason = f"msgraph: {exc} (skipped: --ms-device-unavailable=skip)"
            return
        self.runner.start_session(self.ms)

    def compare_across_tests(self) -> bool:
        """Run the checks' end-of-session comparisons and fail the tests they convict; True on any error."""
        found = [f.to_dict() for f in self.runner.compare(self.results.sorted_records)]
        self.results.cross_test_findings = found
        failed = fail_tests(self.config, self.results, found)  # a passed test named by an error: failed now
        # An error on a test that failed or xfailed already changes nothing; one that names no
        # single test (a test function across its items) fails the session.
        tests = self.results.tests
        self.results.cross_test_errors = sum(f["severity"] == "error" and f["nodeid"] not in tests for f in found)
        return failed > 0 or self.results.cross_test_errors > 0

    def warn_inactive_checks(self) -> None:
        """One warning per check that could not start (e.g. a MindSpore internal is missing).

        On a tested MindSpore release a check that cannot start is a check that proved nothing
        where it should have: the session's error, not a warning that exits 0. Every test still
        runs, the summary says why, and the session exits with status 1. Outside the tested range
        (said at the start of the run) it is a warning, unless a filter makes it an error.
        """
        version = self.ms.version if self.ms is not None else None
        tested = version is not None and status_line(version) is None
        for name, reason in self.runner.inactive.items():
            if name not in self._warned_inactive:
                self._warned_inactive.add(name)
                message = f"msgraph: check {name!r} is inactive for this session: {reason}"
                if warn_at(message, self.config.rootpath):
                    self.session_errors.append(f"{message} (a warning filter made this warning an error)")
                elif tested:
                    self.session_errors.append(f"{message} (MindSpore {version} is a tested release: a check that "
                                               "cannot start there proved nothing, so the session fails)")

    def take_session_notes(self) -> Optional[dict]:
        """What this process says once about the session (on its first report): pairs, session errors."""
        if self._notes_sent:
            return None
        self._notes_sent = True
        return {"twins": self.pairing.notes.to_dict() if self.pairing is not None else None,
                "errors": list(self.session_errors)}

    def _validate_device(self) -> None:
        if self.settings.device is not None:
            import mindspore

            ensure_available(mindspore, self.settings.device)

    def _worker_index(self) -> int:
        """0 for gw0, 1 for gw1, ...; 0 outside xdist."""
        worker = getattr(self.config, "workerinput", {}).get("workerid", "gw0")
        digits = "".join(ch for ch in worker if ch.isdigit())
        return int(digits) if digits else 0

    def _om_root(self) -> Optional[Path]:
        factory = getattr(self.config, "_tmp_path_factory", None)
        if factory is None:
            return None
        return factory.getbasetemp() / "msgraph-compile"

    @property
    def device_id(self):
        """The card (an int), the cards of several xdist workers (a list), or None."""
        if self.ms is not None:
            return self.ms.device_id
        ids = self.results.device_ids
        return ids[0] if len(ids) == 1 else (ids or None)

    @property
    def device_available(self) -> Optional[bool]:
        """False when the device was unavailable (tests skipped for it), True when tests ran on it, else None."""
        if self.device_skip_reason is not None or self.results.device_unavailable:
            return False
        return True if self.ms is not None or self.results.checked else None

    @property
    def device(self) -> Optional[str]:
        return self.ms.device if self.ms is not None else self.settings.device
