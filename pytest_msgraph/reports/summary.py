"""The ``msgraph`` section of the terminal summary."""
from __future__ import annotations

from typing import Any, Optional

from ..checks.runner import CheckRunner
from ..core.environment import mindspore_version
from .results import Results


def summary_lines(results: Results, runner: CheckRunner, device: Optional[str], seed: int,
                  max_lines: int = 10) -> list[str]:
    """The section's lines; each check lists at most ``max_lines`` lines of findings."""
    tests = results.sorted_tests()
    if device is None:
        device = next((t["device"] for t in tests if t["device"]), "unknown")
    lines = [f"mindspore {mindspore_version()}, device {device}, seed {seed}"]
    counts = results.mode_counts()
    skipped = results.skipped_count()
    if counts or skipped:
        parts = [f"{n} in {mode}" for mode, n in sorted(counts.items())] + ([f"{skipped} skipped"] if skipped else [])
        lines.append("tests: " + ", ".join(parts))
    lines += _twin_lines(results.twins)
    eager = results.graph_variants_without_graphs()
    if eager:
        shown = ", ".join(eager[:3]) + (f", and {len(eager) - 3} more" if len(eager) > 3 else "")
        lines.append(f"{len(eager)} GRAPH_MODE variant(s) compiled nothing: functional ops outside a Cell or ms.jit "
                     f"run op by op, eagerly, so they prove nothing about graph mode ({shown}); call the "
                     "code through a Cell or an @ms.jit function")
    if results.platform_skipped:
        lines.append(f"{len(results.platform_skipped)} test(s) skipped by MindSpore platform marks (device {device}); "
                     "ms_platform_marks = false runs them")
    count, seconds, slowest = results.compile_totals()
    if count:
        lines.append(f"compiles: {count} graph(s), {seconds:.2f} s compiling; slowest: " + ", ".join(
            f"{c['seconds']:.2f} s {c['cell']} in {c['test']}" for c in slowest))
    by_check: dict[str, list[dict[str, Any]]] = {}
    for finding in results.sorted_findings():
        by_check.setdefault(finding["check"], []).append(finding)
    for check in runner.registry:
        policy = runner.policies[check.name]
        if policy == "off":
            lines.append(f"{check.name} [off]: not run")
            continue
        if check.name in runner.inactive:
            lines.append(f"{check.name} [{policy}]: inactive ({runner.inactive[check.name]})")
            continue
        found = by_check.pop(check.name, [])
        counts = results.examined.get(check.name) or {check.unit: 0}
        examined = ", ".join(f"{n} {unit}" for unit, n in counts.items())
        lines.append(f"{check.name} [{policy}]: {len(found)} finding(s); examined {examined}")
        lines.extend(_finding_lines(found, max_lines))
    for name, found in sorted(by_check.items()):  # checks registered only on workers
        lines.append(f"{name}: {len(found)} finding(s)")
        lines.extend(_finding_lines(found, max_lines))
    if results.cross_test_errors:
        lines.append(
            f"{results.cross_test_errors} finding(s) with policy 'error' compare a test function's items with each "
            "other (no single test failed for them): the session exits with status 1"
        )
    for error in results.session_errors:
        lines.append(f"session error: {error}; every test ran, and the session exits with status 1")
    if results.incomplete:
        lines.append(f"run incomplete ({results.incomplete}): tests that had started are reported 'interrupted'")
    for worker in results.crashed_workers:
        lines.append(f"worker crashed: {worker} (its other results are kept above)")
    return lines


def _twin_lines(twins: Optional[dict[str, Any]]) -> list[str]:
    """One line for each thing that happened to mode pairs at collection."""
    if not twins:
        return []
    lines = []
    if twins["alone"]:
        lines.append(f"mode pairs: {len(twins['alone'])} variant(s) ran without their twin, which the selection "
                     "(-k, -m, --deselect, node ids) left out: mode_parity compared nothing for them")
    if twins["lf_twins"]:
        lines.append(f"--lf: {len(twins['lf_twins'])} twin(s) of failed variants ran too, so that mode_parity "
                     "could compare each pair again")
    if twins["shard"] and (twins["pulled"] or twins["moved"]):
        lines.append(f"{twins['shard']}: each mode pair runs whole in the shard that holds its first variant "
                     f"({twins['pulled']} twin(s) pulled into this shard, {twins['moved']} left to another)")
    return lines


def _finding_lines(findings: list[dict[str, Any]], max_lines: int) -> list[str]:
    """One line per distinct message (the tests that share it named together), at most ``max_lines``."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for f in findings:
        groups.setdefault((f["severity"], f.get("cell") or "", f["message"]), []).append(f["nodeid"])
    lines = []
    for (severity, cell, message), nodeids in groups.items():
        where = f" [{cell}]" if cell else ""
        if len(nodeids) == 1:
            lines.append(f"  {severity.upper()} {nodeids[0]}{where}: {message}")
            continue
        shown = ", ".join(nodeids[:3]) + (f", and {len(nodeids) - 3} more" if len(nodeids) > 3 else "")
        lines.append(f"  {severity.upper()} {len(nodeids)} tests{where}: {message} ({shown})")
    if len(lines) > max_lines:
        hidden = len(lines) - max_lines
        lines = lines[:max_lines] + [f"  ... and {hidden} more line(s) of findings (every finding is in --ms-report; "
                                     "--ms-summary-max shows more)"]
    return lines
