"""What the JUnit XML says about msgraph (pure: xml.etree).

Each testcase carries properties, through pytest's own ``user_properties`` (so that
pytest-reportlog and other consumers get them too, under xdist as well): ``ms_mode``,
``ms_device``, ``ms_compiles`` and one ``ms_finding`` per finding (check, policy,
one line), with an ``ms_repro`` after it when the finding has a standalone repro
(``--ms-repro``). After pytest has written the file, ``annotate`` adds what only the end of
the session knows: a ``<failure>`` for a test a mode_parity comparison failed late
(its testsuite's ``failures`` count grows by one, so that CI's test view says what the
terminal, the JSON report and ``--lf`` say), the properties of findings that compare
a test function's items, and every warn-policy finding in the testcase's
``<system-out>``, where CI shows a passing test's output.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from ..checks.findings import split_fix
from ..core.files import replace_atomically
from .outcomes import first_line

if TYPE_CHECKING:  # imported where a report is annotated: most sessions write none (3 ms at start-up)
    import xml.etree.ElementTree as ET

PROPERTY_TEXT = 300  # characters of a finding in a property; the JSON report has the whole text


def finding_property(finding: dict[str, Any]) -> tuple[str, str]:
    what, _ = split_fix(finding)
    line = " ".join(what.split())
    if len(line) > PROPERTY_TEXT:
        line = line[: PROPERTY_TEXT - 1] + "…"
    return "ms_finding", f"{finding['check']} [{finding['severity']}]: {line}"


def finding_properties(finding: dict[str, Any]) -> list[tuple[str, str]]:
    """A finding's properties: its ``ms_finding`` line, and ``ms_repro`` with the path of its standalone repro
    (``--ms-repro``) when it has one, saying when it did not reproduce in a fresh process."""
    properties = [finding_property(finding)]
    repro = finding.get("repro")
    if repro:
        said = "" if repro.get("reproduced") else f" (does not reproduce: {repro.get('why')})"
        properties.append(("ms_repro", f"{repro['path']}{said}"))
    return properties


def testcase_properties(mode: Optional[str], device: Optional[str], compiles: Optional[int],
                        findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(name, value) pairs for a testcase: what it ran on, what it compiled, what the checks found."""
    properties = [(name, str(value)) for name, value in
                  (("ms_mode", mode), ("ms_device", device), ("ms_compiles", compiles)) if value is not None]
    return properties + [prop for f in findings for prop in finding_properties(f)]


def testcase_address(nodeid: str) -> tuple[str, str]:
    """(classname, name) as pytest's junitxml writes a node id: ``a/t.py::C::f[x]`` -> (``a.t.C``, ``f[x]``)."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def annotate(path: str, failures: dict[str, str], warnings: dict[str, list[dict[str, Any]]],
             properties: dict[str, list[dict[str, Any]]]) -> int:
    """Rewrite the JUnit XML: late ``failures`` ({nodeid: text}), the warn-policy findings of each
    test (``warnings``) in its system-out, and the findings only the end of the session made
    (``properties``) as its properties. Returns how many testcases changed."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(path)
    wanted = {testcase_address(nodeid): nodeid for nodeid in {*failures, *warnings, *properties}}
    changed = 0
    for suite in tree.getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            classname, name = case.get("classname", ""), case.get("name", "")
            nodeid = next((n for (cls, short), n in wanted.items() if short == name and classname.endswith(cls)), None)
            if nodeid is None:
                continue
            if nodeid in failures:
                _fail(suite, case, failures[nodeid])
            for finding in properties.get(nodeid, ()):
                for name, value in finding_properties(finding):
                    _add_property(case, name, value)
            if warnings.get(nodeid):
                _add_output(case, warnings[nodeid])
            changed += 1
    if changed:
        _replace(Path(path), tree)
    return changed


def _fail(suite: ET.Element, case: ET.Element, text: str) -> None:
    if any(case.find(tag) is not None for tag in ("failure", "error", "skipped")):
        return
    failure = _child(case, "failure", message=first_line(text))
    failure.text = text
    suite.set("failures", str(int(suite.get("failures", "0")) + 1))


def _add_property(case: ET.Element, name: str, value: str) -> None:
    properties = case.find("properties")
    if properties is None:
        properties = case.makeelement("properties", {})
        case.insert(0, properties)  # the schema wants properties first
    _child(properties, "property", name=name, value=value)


def _add_output(case: ET.Element, findings: list[dict[str, Any]]) -> None:
    text = "\n".join(f"msgraph [{f['check']}] {f['message']}" for f in findings)
    out = case.find("system-out")
    if out is None:
        out = _child(case, "system-out")
        out.text = text
    else:
        out.text = f"{out.text or ''}\n{text}"


def _child(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    """A new element appended to ``parent`` (what ``ET.SubElement`` does, without importing ElementTree here)."""
    child = parent.makeelement(tag, attributes)
    parent.append(child)
    return child


def _replace(path: Path, tree: "ET.ElementTree[ET.Element]") -> None:
    replace_atomically(path, lambda tmp: tree.write(tmp, encoding="utf-8", xml_declaration=True))
