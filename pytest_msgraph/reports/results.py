"""Gathers, from test reports, what the summary and the JSON report show.

It reads only what travels on a report (see ``REPORT_ATTR``), so it gives the same
answer in a serial run and on the xdist controller. Each test keeps the findings,
counts and records of its latest attempt only: a retry (pytest-rerunfailures)
replaces the attempt before it.
"""
from __future__ import annotations

from typing import Any, Optional

from ..core.nodeids import plain_nodeid
from .outcomes import OUTCOMES, first_line, is_subtest, phase_outcome, reason_of, skip_reason_of

__all__ = ["OUTCOMES", "REPORT_ATTR", "Results", "phase_outcome"]

Named = dict[str, list[dict[str, Any]]]  # {nodeid: findings}

# Name of the dict the plugin puts on each TestReport: mode, device, findings, counts.
REPORT_ATTR = "msgraph"


class _TestEntry:
    """One test's latest attempt: its outcome and what the checks said about it."""

    def __init__(self, nodeid: str) -> None:
        self.public: dict[str, Any] = {"nodeid": nodeid, "outcome": None, "mode": None, "device": None,
                                       "duration": 0.0, "pair": None, "compiles": None, "compile_seconds": None,
                                       "reason": None}
        self.subtest_failure: Optional[str] = None  # the first failing subtest's reason
        self.fixture_graphs = 0  # graphs a fixture (ms_gradcheck) ran for the test: graph code all the same
        self.crashed = False  # its worker went down while it ran (xdist's "???" report)
        self.adopted = False  # a variant of a parametrize over the modes (not of both_modes)
        self.location: Optional[tuple[str, int]] = None  # (path from the rootdir, line from 1) of the test
        self.slowest_compiles: list[dict[str, Any]] = []
        self.attempt = 0
        self.findings: list[dict[str, Any]] = []
        self.examined: dict[str, dict[str, int]] = {}
        self.records: dict[str, list[dict[str, Any]]] = {}

    def start_attempt(self, attempt: int) -> None:
        self.attempt = attempt
        self.public.update(outcome=None, duration=0.0, compiles=None, compile_seconds=None, reason=None)
        self.public.pop("values", None)  # a rerun records its own
        self.subtest_failure, self.crashed = None, False
        self.slowest_compiles = []
        self.findings, self.examined, self.records = [], {}, {}


class Results:
    def __init__(self) -> None:
        self._tests: dict[str, _TestEntry] = {}
        # Findings of the end-of-session comparisons (they name a test, but came from no report).
        self.cross_test_findings: list[dict[str, Any]] = []
        self.crashed_workers: list[str] = []
        self._device_ids: set[Any] = set()
        # Findings with policy error from the end-of-session comparisons.
        self.cross_test_errors = 0
        # True once a report came from a test the checks watched (a MindSpore test or a lint item).
        self.checked = False
        # Findings about collection itself (a module that changed the context when imported).
        self.collection_findings: dict[tuple[str, str], dict[str, Any]] = {}
        # Tests skipped because MindSpore's platform marks exclude this device.
        self.platform_skipped: set[str] = set()
        # GRAPH_MODE twins skipped by --ms-both-modes=all: their PYNATIVE_MODE variant made no MindSpore call.
        self.idle_twins: set[str] = set()
        # Why the run ended early (Ctrl-C, pytest.exit, an internal error); None for a complete run.
        self.incomplete: Optional[str] = None
        # What happened to mode pairs at collection (every process computes the same: the first one's).
        self.twins: Optional[dict[str, Any]] = None
        # Errors of the session itself, from any process (each said once).
        self.session_errors: list[str] = []
        # The tests selected to run (None: not known); one that never reported is "not run".
        self.selected: Optional[list[str]] = None
        # Collectors that failed to collect: {"nodeid", "reason"}.
        self.collection_errors: list[dict[str, str]] = []
        # {nodeid: failure text} of passed tests an end-of-session comparison failed.
        self.late_failures: dict[str, str] = {}
        # Tests skipped because --ms-device names a backend this runner lacks (--ms-device-unavailable=skip).
        self.device_unavailable: set[str] = set()

    @property
    def tests(self) -> dict[str, dict[str, Any]]:
        return {nodeid: entry.public for nodeid, entry in self._tests.items()}

    def add_report(self, report: Any) -> None:
        nodeid = plain_nodeid(report.nodeid)
        entry = self._tests.get(nodeid)
        if entry is None:
            entry = self._tests[nodeid] = _TestEntry(nodeid)
        attempt = getattr(report, "rerun", 0) or 0
        if attempt > entry.attempt:
            entry.start_attempt(attempt)
        record = entry.public
        if is_subtest(report):
            if report.failed and entry.subtest_failure is None:
                entry.subtest_failure = reason_of(report)
            return  # its parent's own report follows
        record["duration"] += getattr(report, "duration", 0.0) or 0.0
        new = phase_outcome(report.when, report.outcome, hasattr(report, "wasxfail"))
        if new == "passed" and entry.subtest_failure is not None:
            new = "failed"  # a failing subtest fails its test, as pytest's own count does
        # A teardown error after a pass is the test's outcome; after a failure the failure stays.
        if new is not None and not (report.when == "teardown" and record["outcome"] not in (None, "passed")):
            record["outcome"] = new
            if new in ("failed", "error"):
                record["reason"] = entry.subtest_failure or reason_of(report)
            else:
                record["reason"] = skip_reason_of(report) if new in ("skipped", "xfailed") else None
        entry.crashed = report.when == "???"
        location = getattr(report, "location", None)
        if location and entry.location is None:
            entry.location = (str(location[0]), (location[1] or 0) + 1)
        data = getattr(report, REPORT_ATTR, None)
        if not data:
            return
        record["mode"] = data.get("mode") or record["mode"]
        record["device"] = data.get("device") or record["device"]
        record["pair"] = data.get("pair") or record["pair"]
        if data.get("device_id") is not None:
            self._device_ids.add(data["device_id"])
        if data.get("values") is not None:
            record["values"] = data["values"]
        compiles = data.get("compiles")
        if compiles is not None:
            record["compiles"], record["compile_seconds"] = compiles["count"], compiles["seconds"]
            entry.fixture_graphs = compiles.get("fixture_graphs", 0)
            entry.slowest_compiles = [{"test": nodeid, **c} for c in compiles["slowest"]]
        session = data.get("session")
        if session:
            self.twins = self.twins or session.get("twins")
            self.session_errors += [e for e in session.get("errors", ()) if e not in self.session_errors]
        for finding in data.get("collection_findings", ()):  # each xdist worker collects, and sends its own
            self.collection_findings.setdefault((finding["nodeid"], finding["message"]), finding)
        if data.get("platform_skipped"):
            self.platform_skipped.add(nodeid)
        if data.get("idle_twin"):
            self.idle_twins.add(nodeid)
        if data.get("device_unavailable"):
            self.device_unavailable.add(nodeid)
        entry.adopted = entry.adopted or bool(data.get("adopted"))
        self.checked = self.checked or "examined" in data
        entry.findings.extend(data.get("findings", ()))
        for check, payloads in data.get("records", {}).items():
            entry.records.setdefault(check, []).extend(
                {"nodeid": nodeid, "mode": record["mode"], "device": record["device"], **payload}
                for payload in payloads
            )
        for check, counts in data.get("examined", {}).items():
            merged = entry.examined.setdefault(check, {})
            for unit, n in counts.items():
                merged[unit] = merged.get(unit, 0) + n

    def fail_late(self, nodeid: str, message: str) -> bool:
        """An end-of-session comparison failed this test: record it failed; False if it had not passed."""
        entry = self._tests.get(nodeid)
        if entry is None or entry.public["outcome"] != "passed":
            return False
        entry.public["outcome"] = "failed"
        entry.public["reason"] = first_line(message)
        return True

    def _outcome(self, entry: _TestEntry) -> str:
        if entry.crashed and "keyboard" in (self.incomplete or "").lower():
            return "interrupted"  # xdist reports a KeyboardInterrupt in a test as its worker's crash
        if entry.public["outcome"] is not None:
            return str(entry.public["outcome"])
        return "interrupted" if self.incomplete else "not run"

    def sorted_tests(self) -> list[dict[str, Any]]:
        records = []
        for nodeid in sorted(self._tests):
            entry = self._tests[nodeid]
            record = dict(entry.public)
            record["outcome"] = self._outcome(entry)
            if record["outcome"] not in ("failed", "error", "skipped", "xfailed"):
                record["reason"] = None  # a test cut short keeps no reason of an earlier attempt
            record["duration"] = round(record["duration"], 6)
            records.append(record)
        for nodeid in sorted(set(self.selected or ()) - set(self._tests)):  # never started: the run stopped first
            records.append({**_TestEntry(nodeid).public, "outcome": "not run"})
        return sorted(records, key=lambda r: r["nodeid"])

    def add_collection_error(self, nodeid: str, report: Any) -> None:
        error = {"nodeid": plain_nodeid(nodeid) or ".", "reason": reason_of(report) or "collection failed"}
        if error not in self.collection_errors:  # each xdist worker collects, and reports its own
            self.collection_errors.append(error)

    @property
    def complete(self) -> bool:
        """Every selected test ran to an outcome and everything was collected."""
        return self.incomplete is None and not self.collection_errors and all(
            t["outcome"] not in ("not run", "interrupted") for t in self.sorted_tests())

    @property
    def findings(self) -> list[dict[str, Any]]:
        per_test = [f for entry in self._tests.values() for f in entry.findings]
        return per_test + self.cross_test_findings + list(self.collection_findings.values())

    def cross_test_findings_by_test(self) -> Named:
        """The end-of-session findings, on each test they name: a test, or a test function's items in a mode."""
        named: dict[str, list[dict[str, Any]]] = {}
        for finding in self.cross_test_findings:
            nodeid, mode = finding["nodeid"], finding.get("mode")
            for test in sorted(self._tests):
                entry = self._tests[test]
                if test == nodeid or (test.startswith(nodeid + "[") and mode in (None, entry.public["mode"])):
                    named.setdefault(test, []).append(finding)
        return named

    def findings_by_test(self, across: Optional[Named] = None) -> Named:
        """Every test's findings: its own, then those of the end-of-session comparisons (``across``)."""
        found = {nodeid: list(entry.findings) for nodeid, entry in self._tests.items() if entry.findings}
        for nodeid, findings in (across if across is not None else self.cross_test_findings_by_test()).items():
            found.setdefault(nodeid, []).extend(findings)
        return found

    def sorted_findings(self) -> list[dict[str, Any]]:
        return sorted(self.findings, key=lambda f: (f["check"], f["nodeid"], f["message"]))

    @property
    def examined(self) -> dict[str, dict[str, int]]:
        merged: dict[str, dict[str, int]] = {}
        for entry in self._tests.values():
            for check, counts in entry.examined.items():
                into = merged.setdefault(check, {})
                for unit, n in counts.items():
                    into[unit] = into.get(unit, 0) + n
        return merged

    @property
    def device_ids(self) -> list[Any]:
        """The cards the tests ran on (several under xdist with --ms-device-id=auto)."""
        return sorted(self._device_ids)

    def sorted_records(self, check: str) -> list[dict[str, Any]]:
        """A check's records in an order that does not depend on which worker ran what."""
        records = [r for entry in self._tests.values() for r in entry.records.get(check, ())]
        return sorted(records, key=lambda r: r["nodeid"])

    def mode_counts(self) -> dict[str, int]:
        """Tests per mode, counting only tests that ran (a skipped variant ran in no mode)."""
        counts: dict[str, int] = {}
        for entry in self._tests.values():
            mode = entry.public["mode"]
            if mode and self._outcome(entry) != "skipped":
                counts[mode] = counts.get(mode, 0) + 1
        return counts

    def compile_totals(self) -> tuple[int, float, list[dict[str, Any]]]:
        """Graphs compiled in the tests' call phases, seconds spent, and the 5 slowest (test, cell, seconds)."""
        count = sum(e.public["compiles"] or 0 for e in self._tests.values())
        seconds = sum(e.public["compile_seconds"] or 0.0 for e in self._tests.values())
        every = [c for e in self._tests.values() for c in e.slowest_compiles]
        return count, seconds, sorted(every, key=lambda c: (-c["seconds"], c["test"]))[:5]

    def graph_variants_without_graphs(self) -> list[str]:
        """GRAPH_MODE variants that passed and needed no graph: op by op, as PYNATIVE_MODE runs, they prove nothing."""
        return sorted(nodeid for nodeid, entry in self._tests.items()
                      if entry.public["pair"] and entry.public["mode"] == "GRAPH_MODE" and entry.public["compiles"] == 0
                      and not entry.fixture_graphs
                      and self._outcome(entry) in ("passed", "xpassed"))

    def pair_counts(self) -> tuple[int, int, int]:
        """(mode pairs, pairs adopted from a parametrize over the modes, the adopted tests) that were collected."""
        pairs = {e.public["pair"] for e in self._tests.values() if e.public["pair"]}
        adopted = [e for e in self._tests.values() if e.public["pair"] and e.adopted]
        return len(pairs), len({e.public["pair"] for e in adopted}), len(adopted)

    def location_of(self, nodeid: str) -> Optional[tuple[str, int]]:
        """Where a test is written; for a test function (a cross-test finding), where its first item is."""
        entry = self._tests.get(nodeid)
        if entry is not None and entry.location:
            return entry.location
        items = [e for n, e in sorted(self._tests.items()) if n.startswith(nodeid + "[") and e.location]
        return items[0].location if items else None

    def skipped_count(self) -> int:
        return sum(self._outcome(entry) == "skipped" for entry in self._tests.values())
