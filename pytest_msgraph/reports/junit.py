"""The JUnit XML pytest wrote, told about late failures (pure: xml.etree).

A mode_parity mismatch found at the end of the session fails a test that had reported
passed. pytest's junitxml plugin wrote that testcase as passed; it gets its
``<failure>`` here, and its testsuite's ``failures`` count grows by one, so that CI's
test view says what the terminal, the JSON report and ``--lf`` say.
"""
from __future__ import annotations

import os
import re
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from .outcomes import first_line


def testcase_address(nodeid: str) -> tuple[str, str]:
    """(classname, name) as pytest's junitxml writes a node id: ``a/t.py::C::f[x]`` -> (``a.t.C``, ``f[x]``)."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def fail_late(path: str, failures: dict[str, str]) -> int:
    """Add a ``<failure>`` to each passed testcase named in ``failures`` ({nodeid: text}); return how many."""
    tree = ET.parse(path)
    wanted = {testcase_address(nodeid): text for nodeid, text in failures.items()}
    changed = 0
    for suite in tree.getroot().iter("testsuite"):
        for case in suite.iter("testcase"):
            classname, name = case.get("classname", ""), case.get("name", "")
            text = next((t for (cls, n), t in wanted.items() if n == name and classname.endswith(cls)), None)
            if text is None or any(case.find(tag) is not None for tag in ("failure", "error", "skipped")):
                continue
            failure = ET.SubElement(case, "failure", message=first_line(text))
            failure.text = text
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
            changed += 1
    if changed:
        _replace(Path(path), tree)
    return changed


def _replace(path: Path, tree: "ET.ElementTree[ET.Element]") -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        tree.write(tmp, encoding="utf-8", xml_declaration=True)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
