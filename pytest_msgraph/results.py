"""Gathers, from test reports, what the summary and the JSON report show.

It reads only what travels on a report (see ``REPORT_ATTR``), so it gives the same
answer in a serial run and on the xdist controller.
"""
from __future__ import annotations

from typing import Any, Optional

# Name of the dict the plugin puts on each TestReport: mode, device, findings, counts.
REPORT_ATTR = "msgraph"


def phase_outcome(when: str, outcome: str, wasxfail: bool) -> Optional[str]:
    """The test outcome a phase report implies; None when the phase says nothing new."""
    if outcome == "failed":
        # xdist reports a test whose worker crashed with when="???": a failure, as pytest counts it.
        return "error" if when in ("setup", "teardown") else "failed"
    if outcome == "skipped":
        return "xfailed" if wasxfail else "skipped"
    if when == "call":
        return "xpassed" if wasxfail else "passed"
    return None


class Results:
    def __init__(self) -> None:
        self.tests: dict[str, dict[str, Any]] = {}
        self.findings: list[dict[str, Any]] = []
        self.examined: dict[str, dict[str, int]] = {}
        self.crashed_workers: list[str] = []
        self.records: dict[str, list[dict[str, Any]]] = {}
        self._device_ids: set = set()
        # Findings with policy error from the end-of-session comparisons: no single test failed for them.
        self.cross_test_errors = 0
        # True once a report came from a test the checks watched (a MindSpore test or a lint item).
        self.checked = False

    def add_report(self, report: Any) -> None:
        nodeid = report.nodeid
        record = self.tests.setdefault(
            nodeid, {"nodeid": nodeid, "outcome": None, "mode": None, "device": None, "duration": 0.0}
        )
        record["duration"] += getattr(report, "duration", 0.0) or 0.0
        new = phase_outcome(report.when, report.outcome, hasattr(report, "wasxfail"))
        # A teardown error after a pass is the test's outcome; after a failure the failure stays.
        if new is not None and not (report.when == "teardown" and record["outcome"] not in (None, "passed")):
            record["outcome"] = new
        data = getattr(report, REPORT_ATTR, None)
        if not data:
            return
        record["mode"] = data.get("mode") or record["mode"]
        record["device"] = data.get("device") or record["device"]
        if data.get("device_id") is not None:
            self._device_ids.add(data["device_id"])
        self.checked = self.checked or "examined" in data
        self.findings.extend(data.get("findings", ()))
        for check, payloads in data.get("records", {}).items():
            self.records.setdefault(check, []).extend(
                {"nodeid": nodeid, "mode": record["mode"], "device": record["device"], **payload} for payload in payloads
            )
        for check, counts in data.get("examined", {}).items():
            merged = self.examined.setdefault(check, {})
            for unit, n in counts.items():
                merged[unit] = merged.get(unit, 0) + n

    def sorted_tests(self) -> list[dict[str, Any]]:
        records = []
        for nodeid in sorted(self.tests):
            record = dict(self.tests[nodeid])
            record["outcome"] = record["outcome"] or "passed"
            record["duration"] = round(record["duration"], 6)
            records.append(record)
        return records

    def sorted_findings(self) -> list[dict[str, Any]]:
        return sorted(self.findings, key=lambda f: (f["check"], f["nodeid"], f["message"]))

    @property
    def device_ids(self) -> list:
        """The cards the tests ran on (several under xdist with --ms-device-id=auto)."""
        return sorted(self._device_ids)

    def sorted_records(self, check: str) -> list[dict[str, Any]]:
        """A check's records in an order that does not depend on which worker ran what."""
        return sorted(self.records.get(check, ()), key=lambda r: r["nodeid"])

    def mode_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for record in self.tests.values():
            if record["mode"]:
                counts[record["mode"]] = counts.get(record["mode"], 0) + 1
        return counts
