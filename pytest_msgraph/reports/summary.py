"""The ``msgraph`` section of the terminal summary: what the run found, on one screen.

Every line fits in 160 characters; the JSON report (``--ms-report``) keeps every
finding's whole text. A finding made in both variants of a mode pair is one line that
names both modes, findings that differ only in a number (a line, a time) are one line
for all the tests they name, and each check's fix is printed once, after its findings.
Checks that examined nothing are named on one line. ``-q`` leaves the counts, ``-qq``
nothing.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional

from ..checks.findings import ERROR, split_fix
from ..checks.runner import CheckRunner
from ..core.environment import mindspore_version
from ..core.releases import untested_note
from .results import Results
from .terminal_text import fit, listed, named_tests, plural, shape_of, wrapped

FIXES_SHOWN = 3  # distinct fixes printed per check


@dataclasses.dataclass
class _Group:
    """Findings of one check that say the same thing (up to modes and numbers), and the tests they name."""

    severity: str
    cell: str
    what: str
    fix: Optional[str]
    # test (the pair's name for a variant) -> {mode: the node id found in it}
    tests: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    count: int = 0
    crashed: bool = False  # the check itself failed: said as a crash, never as a finding about the test
    repros: list[str] = dataclasses.field(default_factory=list)  # a line each: the findings' --ms-repro scripts

    def who(self) -> str:
        pairs = sum(len(modes) or 1 for modes in self.tests.values())
        return named_tests(self.tests) + (f" ({self.count} findings)" if self.count > pairs else "")

    def lines(self) -> list[str]:
        cell = f" [{self.cell}]" if self.cell else ""
        label = f"CRASH ({self.severity})" if self.crashed else self.severity.upper()
        return [fit(f"  {label} {self.who()}{cell}: {self.what}"), *(f"    {r}" for r in self.repros)]  # paths whole


def finding_groups(findings: list[dict[str, Any]], results: Results) -> list[_Group]:
    """``findings`` of one check, grouped: errors first, then the groups that name the most tests."""
    tests = results.tests
    groups: dict[tuple[str, str, str, bool], _Group] = {}
    for finding in findings:
        what, fix = split_fix(finding)
        cell = finding.get("cell") or ""
        crashed = bool(finding.get("crashed"))
        group = groups.setdefault((finding["severity"], cell, shape_of(what), crashed),
                                  _Group(finding["severity"], cell, what, fix, crashed=crashed))
        nodeid = finding["nodeid"]
        test = (tests.get(nodeid) or {}).get("pair") or nodeid
        group.tests.setdefault(test, {}).setdefault(finding.get("mode") or "", nodeid)
        group.count += 1
        repro = finding.get("repro")
        if repro:  # the path whole on its own line: the finding's line is cut at 160 characters
            group.repros.append(f"repro: {repro['path']}" if repro.get("reproduced") else
                                f"repro (does not reproduce alone): {repro['path']}")
    return sorted(groups.values(), key=lambda g: (g.severity != ERROR, -len(g.tests)))


def _short_names(groups: list[_Group], most: int = 3) -> str:
    """The test functions of ``groups``, by name alone (``test_try_except_in_construct``), the first ``most``."""
    names = list(dict.fromkeys(test.rpartition("::")[2].partition("[")[0] for group in groups for test in group.tests))
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _cells(groups: list[_Group], most: int = 3) -> str:
    """The cells of ``groups`` (``MySampler``), or their tests' files when they name none."""
    names = list(dict.fromkeys(group.cell or test.partition("::")[0].rpartition("/")[2]
                               for group in groups for test in group.tests))
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _one(unit: str) -> str:
    """'cell calls' -> 'cell call', 'values recorded with ms_shapes' -> 'value recorded with ms_shapes', 'calls with
    random ops, not compared' -> 'call with random ops, not compared'."""
    head, sep, tail = unit.partition(" recorded ")
    if not sep:
        head, sep, tail = unit.partition(" with ")
    words = head.split(" ")
    if words[-1].endswith("s"):
        words[-1] = words[-1][:-1]
    return " ".join(words) + sep + tail


def _examined(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {_one(unit) if n == 1 else unit}" for unit, n in counts.items() if n)


def _check_lines(name: str, policy: str, findings: list[dict[str, Any]], counts: dict[str, int],
                 results: Results, max_lines: int) -> list[str]:
    where = f" in {_examined(counts)}" if any(counts.values()) else ""
    lines = [fit(f"{name} [{policy}]: {plural(len(findings), 'finding')}{where}")]
    groups = finding_groups(findings, results)
    shown = groups[:max_lines]
    lines += [line for group in shown for line in group.lines()]
    if 0 < max_lines < len(groups):
        lines.append(f"  ... and {len(groups) - max_lines} more (every finding is in --ms-report; "
                     "--ms-summary-max shows more)")
    fixes: dict[str, list[_Group]] = {}
    for group in shown:
        if group.fix:
            fixes.setdefault(group.fix, []).append(group)
    labels = {fix: _short_names(owners) for fix, owners in fixes.items()}
    if len(set(labels.values())) < len(labels):  # the tests' names do not tell the fixes apart (lint items): cells do
        labels = {fix: _cells(owners) for fix, owners in fixes.items()}
    for fix in list(fixes)[:FIXES_SHOWN]:
        # One fix serves every finding shown; several are each said with the tests (or cells) they are for.
        lines += wrapped(f"for {labels[fix]}: {fix}" if len(fixes) > 1 else fix, indent="  > ")
    if len(fixes) > FIXES_SHOWN:
        lines.append(f"  > and {plural(len(fixes) - FIXES_SHOWN, 'other fix', 'other fixes')} in --ms-report")
    return lines


def header_lines(results: Results, device: Optional[str], seed: int) -> list[str]:
    """What ran where: the versions, the tests per mode, the mode pairs, compiles."""
    counts = results.mode_counts()
    skipped = results.skipped_count()
    ran = [f"{plural(counts[m], 'test')} in {m}" if i == 0 else f"{counts[m]} in {m}"
           for i, m in enumerate(sorted(counts))] + ([f"{skipped} skipped"] if skipped else [])
    version = mindspore_version()
    lines = [fit(f"mindspore {version}{untested_note(version)}, device {device}, seed {seed}"
                 + (f": {', '.join(ran)}" if ran else ""))]
    pairs, adopted_pairs, adopted_tests = results.pair_counts()
    if pairs:
        adopted = (f"; adopted {adopted_tests} parametrized tests as {plural(adopted_pairs, 'pair')}"
                   if adopted_pairs else "")
        lines.append(f"mode pairs: {pairs}{adopted}")
    count, seconds, slowest = results.compile_totals()
    if count:
        top = f"; slowest {slowest[0]['seconds']:.2f} s {slowest[0]['cell']} in {slowest[0]['test']}" if slowest else ""
        lines.append(fit(f"compiles: {plural(count, 'graph')} in {seconds:.1f} s{top}"))
    eager = results.graph_variants_without_graphs()
    if eager:
        lines.append(listed(f"{plural(len(eager), 'GRAPH_MODE variant')} compiled nothing (ops outside a Cell or "
                            "ms.jit run eagerly): ", eager))
    if results.platform_skipped:
        lines.append(f"{plural(len(results.platform_skipped), 'test')} skipped by MindSpore platform marks (device "
                     f"{device}); ms_platform_marks = false runs them")
    if results.idle_twins:
        lines.append(f"{plural(len(results.idle_twins), 'GRAPH_MODE twin')} skipped: their PYNATIVE_MODE variant "
                     "made no MindSpore call (--ms-both-modes=all)")
    return lines + _twin_lines(results.twins)


def unavailable_line(results: Results, device: Optional[str]) -> list[str]:
    if not results.device_unavailable:
        return []
    return [fit(f"{device} unavailable on this runner: {plural(len(results.device_unavailable), 'test')} skipped "
                "(--ms-device-unavailable=skip); the report says device_available: false")]


def _session_lines(results: Results) -> list[str]:
    """What changes the exit status or the trust in the results: always shown, even with -q."""
    lines = []
    if results.cross_test_errors:
        lines.append(f"{plural(results.cross_test_errors, 'finding')} with policy 'error' compare a test function's "
                     "items with each other (no single test failed for them): the session exits with status 1")
    lines += [fit(f"session error: {error}; every test ran, and the session exits with status 1")
              for error in results.session_errors]
    if results.incomplete:
        lines.append(fit(f"run incomplete ({results.incomplete}): tests that had started are reported 'interrupted'"))
    lines += [fit(f"worker crashed: {worker} (its other results are kept above)") for worker in results.crashed_workers]
    return [fit(line) for line in lines]


def summary_lines(results: Results, runner: CheckRunner, device: Optional[str], seed: int,
                  max_lines: int = 5, verbosity: int = 0) -> list[str]:
    """The section's lines: ``max_lines`` groups of findings per check; ``verbosity`` -1 (-q) counts only."""
    if verbosity <= -2:
        return []
    tests = results.sorted_tests()
    if device is None:
        device = next((t["device"] for t in tests if t["device"]), "unknown")
    by_check: dict[str, list[dict[str, Any]]] = {}
    for finding in results.sorted_findings():
        by_check.setdefault(finding["check"], []).append(finding)
    examined = results.examined
    if verbosity < 0:
        return unavailable_line(results, device) + _count_lines(runner, by_check, examined) + _session_lines(results)
    lines = header_lines(results, device, seed) + unavailable_line(results, device)
    quiet, idle, off = [], [], []
    for check in runner.registry:
        policy = runner.policies[check.name]
        found = by_check.pop(check.name, [])
        counts = examined.get(check.name) or {}
        if policy == "off":
            off.append(check.name)
        elif check.name in runner.inactive:
            lines.append(fit(f"{check.name} [{policy}]: inactive ({runner.inactive[check.name]})"))
        elif found:
            lines += _check_lines(check.name, policy, found, counts, results, max_lines)
        elif any(counts.values()):
            quiet.append(f"{check.name} ({_examined(counts)})")
        else:
            idle.append(check.name)
    for name, found in sorted(by_check.items()):  # checks registered only on workers
        lines += _check_lines(name, found[0]["severity"], found, {}, results, max_lines)
    if quiet:
        lines += wrapped("no findings: " + ", ".join(quiet))
    if idle:
        lines += wrapped("examined nothing: " + ", ".join(idle))
    if off:
        lines.append(listed("off: ", off))
    return lines + _session_lines(results)


def _count_lines(runner: CheckRunner, by_check: dict[str, list[dict[str, Any]]],
                 examined: dict[str, dict[str, int]]) -> list[str]:
    """-q: the findings per check, and how many checks found nothing."""
    names = dict.fromkeys([c.name for c in runner.registry] + sorted(by_check))
    found = [f"{name} {len(by_check[name])}" for name in names if by_check.get(name)]
    errors = sum(f["severity"] == ERROR for fs in by_check.values() for f in fs)
    warnings = sum(len(fs) for fs in by_check.values()) - errors
    clean = sum(1 for c in runner.registry if not by_check.get(c.name) and any((examined.get(c.name) or {}).values()))
    if not found:
        return [f"no findings ({plural(clean, 'check')} examined something)"]
    clean_text = f"; {plural(clean, 'other check')} found nothing" if clean else ""
    text = (f"{plural(errors, 'error finding')}, {plural(warnings, 'warn finding')}: {', '.join(found)}{clean_text} "
            "(pytest without -q shows each finding)")
    return wrapped(text)


def _twin_lines(twins: Optional[dict[str, Any]]) -> list[str]:
    """One line for each thing that happened to mode pairs at collection."""
    if not twins:
        return []
    lines = []
    if twins["alone"]:
        lines.append(f"mode pairs: {plural(len(twins['alone']), 'variant')} ran without their twin, which the "
                     "selection (-k, -m, --deselect, node ids) left out: mode_parity compared nothing for them")
    if twins["lf_twins"]:
        lines.append(f"--lf: {plural(len(twins['lf_twins']), 'twin')} of failed variants ran too, so that mode_parity "
                     "could compare each pair again")
    if twins["shard"] and (twins["pulled"] or twins["moved"]):
        lines.append(f"{twins['shard']}: each mode pair runs whole in the shard that holds its first variant "
                     f"({twins['pulled']} twin(s) pulled into this shard, {twins['moved']} left to another)")
    return [fit(line) for line in lines]
