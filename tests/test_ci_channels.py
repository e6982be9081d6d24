"""What a CI team sees (issue 23): findings in the JUnit XML and as GitHub annotations, a summary that fits a
screen, an unavailable device said everywhere, and a matrix page a browser (here: an HTML parser) reads."""
import html.parser
import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import NET_SOURCE

from pytest_msgraph.matrix.html import to_html
from pytest_msgraph.matrix.merge import build_matrix
from pytest_msgraph.reports.terminal_text import fit, listed, shape_of, wrapped

# 150 mode pairs (300 tests) written MindSpore's way: 100 clean, 25 that take grads after a plain
# forward without set_grad (double_forward, in PYNATIVE_MODE), 15 with np.random in construct
# (mode_parity, in GRAPH_MODE) and 10 that leave jit_syntax_level changed (context_leak, both modes).
SUITE = NET_SOURCE + '''

class Noisy(nn.Cell):
    def construct(self, x):
        return x + Tensor(np.random.randn(*x.shape).astype(np.float32))


NET = Net()
X = ones(2, 3)
MODES = [ms.GRAPH_MODE, ms.PYNATIVE_MODE]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", range(100))
def test_clean(mode, case):
    ms.set_context(mode=mode)
    assert NET(X).shape == (2, 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", range(25))
def test_forward_then_grad(mode, case):
    ms.set_context(mode=mode)
    NET(X)
    ops.GradOperation(get_by_list=True)(NET, NET.trainable_params())(X)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", range(15))
def test_noise(mode, case):
    ms.set_context(mode=mode)
    cell = Noisy()
    cell(X)
    cell(X)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", range(10))
def test_leak(mode, case):
    ms.set_context(mode=mode, jit_syntax_level=ms.STRICT)
    assert NET(X).shape == (2, 2)
'''


def section(run):
    """The msgraph section's lines (empty when there is none)."""
    out = run.stdout().splitlines()
    start = next((i for i, line in enumerate(out) if re.fullmatch(r"=+ msgraph =+", line)), None)
    if start is None:
        return []
    end = next((i for i in range(start + 1, len(out)) if out[i].startswith("=")), len(out))
    return [line for line in out[start + 1:end] if line]


@pytest.fixture
def big(pytester):
    pytester.makepyfile(test_big=SUITE)
    return pytester


def test_the_summary_of_a_300_test_suite_fits_a_screen(big, run_pytest):
    run = run_pytest()
    assert len(run.outcomes()) == 300
    lines = section(run)
    assert 8 < len(lines) <= 30, "\n".join(lines)
    assert max(map(len, lines)) <= 160
    text = "\n".join(lines)
    assert "mode pairs: 150; adopted 300 parametrized tests as 150 pairs" in lines
    # Each check: one line for all the tests that share a finding, the fix once.
    assert "double_forward [error]: 25 findings in 25 grad calls" in lines
    assert text.count("  ERROR test_big.py::test_forward_then_grad[0-1] (PYNATIVE_MODE) and 24 more tests [Net]") == 1
    assert text.count("Fix: call set_grad()") == 1
    # A finding made in both variants of a pair is one line naming both modes; enums by name.
    [leak] = [line for line in lines if line.startswith("  WARN")]
    assert leak.startswith("  WARN test_big.py::test_leak[0] (GRAPH_MODE and PYNATIVE_MODE) and 9 more tests: ")
    assert "jit_syntax_level=STRICT (was LAX)" in leak
    # Checks that examined nothing are named on one line; the ones that found nothing on another.
    assert "examined nothing: graph_syntax, torch_parity, gradcheck" in lines
    assert any(line.startswith("no findings: bn_update_count (50 training steps)") for line in lines)
    assert "mixed_precision (50 training steps)" in text  # training steps counted one way by every check
    # The warnings summary points to the section: one entry for the 20 leaks, their text printed once.
    assert run.stdout().count("MsGraphWarning: [context_leak] a finding: what and the fix are in the msgraph") == 1
    assert run.stdout().count("jit_syntax_level=STRICT (was LAX)") == 1
    # The JSON has every finding, whole.
    assert len(run.findings("double_forward")) == 25 and all("Fix: call set_grad()" in f["message"]
                                                              for f in run.findings("double_forward"))


def test_q_keeps_the_counts_and_qq_nothing_and_warnings_as_errors_still_fail(big, run_pytest):
    quiet = section(run_pytest("-q"))
    assert quiet == ["40 error findings, 20 warn findings: double_forward 25, mode_parity 15, context_leak 20; 7 other "
                     "checks found nothing (pytest without -q shows each finding)"]
    assert section(run_pytest("-qq")) == []
    strict = run_pytest("-W", "error::pytest_msgraph.MsGraphWarning", "-k", "test_leak")
    assert set(strict.outcomes().values()) == {"error"}  # the leak is found at teardown: the test's error
    assert "[context_leak] test left the MindSpore context changed: jit_syntax_level=STRICT (was LAX)" in strict.stdout()


def test_summary_max_limits_the_lines_and_zero_leaves_the_counts(pytester, run_pytest):
    pytester.makepyfile(test_leaks='''
import pytest
import mindspore as ms

@pytest.mark.parametrize("key, value", [("max_call_depth", 2000), ("jit_syntax_level", ms.STRICT),
                                        ("save_graphs", 1)])
def test_leak(key, value):
    ms.set_context(**{key: value})
''')
    lines = section(run_pytest("--ms-summary-max=2"))
    assert sum(line.startswith("  WARN") for line in lines) == 2
    assert "  ... and 1 more (every finding is in --ms-report; --ms-summary-max shows more)" in lines
    counts_only = section(run_pytest("--ms-summary-max=0"))
    assert "context_leak [warn]: 3 findings in 3 tests" in counts_only
    assert not [line for line in counts_only if line.startswith("  WARN") or "more" in line]


def _properties(case):
    return [(p.get("name"), p.get("value")) for p in case.iter("property")]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_junit_testcases_carry_mode_device_compiles_and_every_finding(big, run_pytest, workers):
    if workers:
        pytest.importorskip("xdist")
    run_pytest("--junitxml=junit.xml", "-k", "test_forward_then_grad or test_leak or test_clean", *workers)
    cases = {c.get("name"): c for c in ET.parse(big.path / "junit.xml").getroot().iter("testcase")}
    assert len(cases) == 270
    clean = dict(_properties(cases["test_clean[3-0]"]))
    assert clean == {"ms_mode": "GRAPH_MODE", "ms_device": "CPU", "ms_compiles": "1"}
    flagged = _properties(cases["test_forward_then_grad[0-1]"])
    assert ("ms_mode", "PYNATIVE_MODE") in flagged
    [finding] = [value for name, value in flagged if name == "ms_finding"]
    assert finding.startswith("double_forward [error]: Net (the differentiated network itself) ran its forward 2 times")
    assert "Fix:" not in finding  # one line: what was found; the failure text has the rest
    # A warn finding: a property, and its whole text in system-out, where CI shows a passing test's output.
    leak = cases["test_leak[0-0]"]
    assert [v for n, v in _properties(leak) if n == "ms_finding"] == [
        "context_leak [warn]: test left the MindSpore context changed: jit_syntax_level=STRICT (was LAX); msgraph puts "
        "it back for the next test (unless ms_restore_context = false)."]
    assert "msgraph [context_leak] test left the MindSpore context changed" in leak.find("system-out").text
    assert leak.find("failure") is None


def test_findings_of_the_end_of_the_session_reach_the_junit_xml(pytester, run_pytest):
    """dynamic_shape compares a function's items at the end: each item gets the property and the output."""
    pytester.makepyfile(test_dyn='''
import numpy as np
import pytest
import mindspore as ms
from mindspore import Tensor, nn, ops


class Select(nn.Cell):
    def construct(self, x):
        return ops.masked_select(x, x > 0.5)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_select(seed):
    np.random.seed(seed)
    Select()(Tensor(np.random.rand(20).astype(np.float32)))
''')
    run_pytest("--junitxml=junit.xml")
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")}
    for name in ("test_select[1]", "test_select[2]", "test_select[3]"):
        values = [v for n, v in _properties(cases[name]) if n == "ms_finding"]
        assert any(v.startswith("dynamic_shape [warn]: Select output shape depends on input values") for v in values)
        assert "dynamic_shape" in cases[name].find("system-out").text


def annotations(run):
    return [line for line in run.stdout().splitlines() if line.startswith("::")]


ANNOTATION = re.compile(r"^::(error|warning) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")


def test_github_annotations_one_per_finding_place_at_most_ten_per_kind(big, run_pytest, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run = run_pytest("-k", "test_forward_then_grad or test_noise or test_leak")
    found = [ANNOTATION.match(line) for line in annotations(run)]
    assert found and all(found), run.stdout()
    kinds = [m.group(1) for m in found]
    # 25 double_forward and 15 mode_parity errors at two places: two annotations; the 10 leaking pairs at the test.
    assert kinds.count("error") == 2 and kinds.count("warning") == 1
    errors = {m.group(5).split("]")[0] + "]": m for m in found if m.group(1) == "error"}
    double = errors["[double_forward]"]
    source = (big.path / "test_big.py").read_text().splitlines()
    assert double.group(2) == "test_big.py"
    assert "GradOperation" in source[int(double.group(3)) - 1]  # the grad call's own line
    assert double.group(4) == "test_big.py%3A%3Atest_forward_then_grad[0-1] (PYNATIVE_MODE) and 24 more tests"
    [leak] = [m for m in found if m.group(1) == "warning"]
    assert leak.group(4).startswith("test_big.py%3A%3Atest_leak[0] (GRAPH_MODE and PYNATIVE_MODE)")
    assert source[int(leak.group(3)) - 1].startswith("@pytest.mark.parametrize")  # where the test is written
    assert not annotations(run_pytest("-k", "test_leak", "--ms-annotations=off"))


def test_github_annotations_keep_to_githubs_limit_with_a_count(pytester, run_pytest):
    pytester.makepyfile(test_many='''
import pytest
import mindspore as ms

''' + "\n".join(f'''
def test_leak_{i}():
    ms.set_context(max_call_depth={1000 + i})
''' for i in range(1, 14)))
    run = run_pytest("--ms-annotations=github")
    stdout = run.stdout()
    assert len(annotations(run)) == 10 and all(line.startswith("::warning ") for line in annotations(run))
    assert ("msgraph: 3 more warning annotation(s) left out (GitHub shows 10 of each kind per step); the msgraph "
            "summary and --ms-report have every finding") in stdout
    assert not annotations(run_pytest())  # not on GitHub Actions, not asked for


ANNOTATED = NET_SOURCE + '''

NET = Net()
X = ones(2, 3)


def forward_then_grad():
    NET(X)
    ops.GradOperation(get_by_list=True)(NET, NET.trainable_params())(X)


@pytest.mark.xfail(strict=True, reason="demonstrates a double forward")
def test_demonstrates_the_bug():
    forward_then_grad()


def test_has_the_bug():  # the look-alike: the same finding, not expected, is an error
    forward_then_grad()


@pytest.mark.xfail(strict=True, reason="a bug since fixed")
def test_fixed_bug():
    assert NET(X).shape == (2, 2)
'''


ANNOTATION_OR_NOTICE = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")


def _annotations(run):
    return [ANNOTATION_OR_NOTICE.match(line).groups() for line in run.stdout().splitlines() if line.startswith("::")]


def test_annotations_follow_the_outcome_and_githubs_workspace(pytester, run_pytest, monkeypatch):
    pytester.makepyfile(test_annotated=ANNOTATED)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path.parent))  # the project is a subfolder of its repo
    folder = pytester.path.name
    serial = run_pytest("--ms-annotations=github")
    assert serial.outcomes() == {"test_annotated.py::test_demonstrates_the_bug": "xfailed",
                                 "test_annotated.py::test_fixed_bug": "failed",
                                 "test_annotated.py::test_has_the_bug": "failed"}
    found = {(kind, title.split("%3A%3A")[-1].split(" ")[0]): (path, message)
             for kind, path, _, title, message in _annotations(serial)}
    assert set(found) == {("notice", "test_demonstrates_the_bug"), ("error", "test_has_the_bug"),
                          ("error", "test_fixed_bug")}, serial.stdout()
    assert found["notice", "test_demonstrates_the_bug"][1].endswith("(expected: the test is marked xfail)")
    assert found["error", "test_has_the_bug"][1].startswith("[double_forward]")
    assert found["error", "test_fixed_bug"][1].startswith("[xfail strict] [XPASS(strict)] a bug since fixed: the "
                                                          "test passed though marked xfail(strict=True)")
    assert {path for path, _ in found.values()} == {f"{folder}/test_annotated.py"}
    parallel = run_pytest("--ms-annotations=github", "-n", "2")
    assert _annotations(parallel) == _annotations(serial)
    monkeypatch.delenv("GITHUB_WORKSPACE")  # not on GitHub: paths from the rootdir, as before
    assert {a[1] for a in _annotations(run_pytest("--ms-annotations=github"))} == {"test_annotated.py"}


def test_an_unavailable_device_is_said_in_the_header_summary_report_and_matrix(pytester, run_pytest):
    pytester.makepyfile(test_gpu='''
import pytest

@pytest.mark.both_modes
def test_a():
    pass

def test_b():
    pass
''')
    run = run_pytest("--ms-device=GPU", "--ms-device-unavailable=skip")
    assert run.ret == 0 and set(run.outcomes().values()) == {"skipped"}
    out = run.stdout()
    assert "device GPU (unavailable on this runner: every test skipped)" in out
    assert "msgraph: GPU unavailable on this runner: 3 tests skipped (--ms-device-unavailable=skip)" in out
    assert ("GPU unavailable on this runner: 3 tests skipped (--ms-device-unavailable=skip); the report says "
            "device_available: false") in section(run)
    assert run.report["device_available"] is False
    cpu = run_pytest()
    assert cpu.report["device_available"] is True
    matrix = build_matrix([run.report, cpu.report], ["gpu.json", "cpu.json"])
    gpu_column = next(c for c in matrix["columns"] if c["device"] == "GPU" and c["mode"] == "GRAPH_MODE")
    row = next(r for r in matrix["rows"] if r["test"] == "test_gpu.py::test_a")
    assert row["cells"][gpu_column["key"]]["outcome"] == "unavailable"
    assert matrix["totals"][gpu_column["key"]] == {"unavailable": 1}
    page = to_html(matrix)
    assert "not run (device unavailable)" in page and "GPU unavailable on this runner" in page


class _Page(html.parser.HTMLParser):
    """What a reader of the page sees: headings in order, the legend, and each table's rows."""

    def __init__(self):
        super().__init__()
        self.headings, self.tables, self.legend, self.title = [], [], [], ""
        self._stack, self._text, self._cell, self._in_legend = [], "", None, False

    def handle_starttag(self, tag, attrs):
        self._stack.append(tag)
        attrs = dict(attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = {"css": attrs.get("class", ""), "text": "", "title": attrs.get("title")}
        elif tag == "p" and attrs.get("class") == "legend":
            self._in_legend = True
        elif tag == "span" and self._in_legend:
            self.legend.append(attrs.get("class"))
        self._text = ""

    def handle_data(self, data):
        self._text += data
        if self._cell is not None:
            self._cell["text"] += data

    def handle_endtag(self, tag):
        if tag == "p":
            self._in_legend = False
        if tag in ("h1", "h2"):
            self.headings.append(self._text.strip())
        elif tag == "title":
            self.title = self._text.strip()
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(self._cell)
            self._cell = None
        while self._stack and self._stack.pop() != tag:
            pass


def test_the_matrix_page_reads_in_order_with_a_legend_for_every_outcome():
    def report(device, outcomes, available=True):
        return {"version": 2, "mindspore": "2.10.0", "jit_level": None, "device": device,
                "device_available": available, "environment": {"python": "3.11", "platform": "linux"},
                "tests": [{"nodeid": f"t.py::test_{name}[GRAPH_MODE]", "outcome": outcome, "mode": "GRAPH_MODE",
                           "device": device, "pair": f"t.py::test_{name}",
                           "reason": "assert 1 == 2" if outcome == "failed" else None}
                          for name, outcome in outcomes.items()],
                "findings": [], "collection_errors": [], "complete": True}

    cpu = report("CPU", {"a": "passed", "b": "failed", "c": "xfailed", "d": "xpassed", "e": "skipped",
                         "f": "interrupted", "g": "not run"})
    gpu = report("GPU", {"a": "skipped", "b": "skipped"}, available=False)
    page = _Page()
    page.feed(to_html(build_matrix([cpu, gpu], ["cpu.json", "gpu.json"])))
    assert page.title == "pytest-msgraph compliance matrix"
    assert page.headings == ["pytest-msgraph compliance matrix", "Totals", "1 failing cell(s)", "Every test"]
    assert set(page.legend) >= {"passed", "failed", "error", "xfailed", "xpassed", "skipped", "unavailable",
                                "interrupted", "not-run"}
    totals, failures, every = page.tables
    # Totals first, each column's environment said once there.
    assert [[c["text"] for c in row] for row in totals[1:]] == [
        ["CPU GRAPH_MODE", "1 failed, 1 interrupted, 1 xpassed, 1 passed, 1 xfailed, 1 skipped, 1 not run",
         "mindspore 2.10.0, python 3.11, linux"],
        ["GPU GRAPH_MODE", "2 not run (device unavailable)",
         "mindspore 2.10.0, python 3.11, linux, GPU unavailable on this runner"]]
    # Failures next, with their one-line reason.
    assert [[c["text"] for c in row] for row in failures[1:]] == [
        ["t.py::test_b", "CPU GRAPH_MODE", "failed", "assert 1 == 2"]]
    # Then every test; each outcome has its own style.
    css = {row[0]["text"]: [c["css"] for c in row[1:]] for row in every[1:]}
    assert css["t.py::test_a"] == ["passed", "unavailable"] and css["t.py::test_g"] == ["not-run", "none"]
    assert css["t.py::test_f"][0] == "interrupted"
    assert next(c for c in every[1:] if c[0]["text"] == "t.py::test_b")[1]["title"] == "assert 1 == 2"


def test_context_values_are_said_by_their_names():
    from pytest_msgraph.core.modes import context_value

    assert context_value("mode", 0) == "GRAPH_MODE" and context_value("mode", 1) == "PYNATIVE_MODE"
    assert context_value("jit_syntax_level", 0) == "STRICT" and context_value("jit_syntax_level", 2) == "LAX"
    assert context_value("max_call_depth", 2) == "2" and context_value("jit_level", "O2") == "'O2'"
    assert context_value("jit_syntax_level", True) == "True"  # a bool is not a level


def test_terminal_text_fits_and_folds():
    long = "x" * 300
    assert len(fit("  " + long)) == 160 and fit("  " + long).startswith("  x") and fit(long).endswith("…")
    assert fit("a\n  b") == "a b"
    folded = wrapped("word " * 100, indent="  > ")  # 500 characters in two lines: the second is cut
    assert len(folded) == 2 and all(len(line) <= 160 for line in folded)
    assert folded[0].startswith("  > word") and folded[1].endswith("…")
    assert wrapped("word " * 20, indent="  > ", lines=3) == ["  > " + " ".join(["word"] * 20)]  # short: whole
    assert len(wrapped("word " * 100, lines=2)) == 2
    assert listed("head: ", ["a" * 60, "b" * 60, "c" * 60]) == "head: " + "a" * 60 + ", " + "b" * 60 + ", and 1 more"
    assert shape_of("call 2 at t.py:12 in GRAPH_MODE, 0.25 s") == shape_of("call 3 at t.py:40 in PYNATIVE_MODE, 1 s")
    assert shape_of("cell A") != shape_of("cell B")


def test_a_finding_keeps_its_fix_apart_and_whole_in_its_message():
    from pytest_msgraph.checks.findings import Finding, split_fix

    finding = Finding("c", "warn", "t.py::t", None, None, "It broke.", details={"fix": "Fix: mend it."})
    assert finding.message == "It broke. Fix: mend it."
    data = finding.to_dict()
    assert data["fix"] == "Fix: mend it." and split_fix(data) == ("It broke.", "Fix: mend it.")
    assert Finding.from_dict(data).message == "It broke. Fix: mend it."  # not appended twice
    assert "fix" not in Finding("c", "warn", "n", None, None, "m", details={"fix": None}).to_dict()
    assert split_fix({"message": "m"}) == ("m", None)


def test_the_report_validates_with_the_new_fields(big, run_pytest):
    jsonschema = pytest.importorskip("jsonschema")
    from pytest_msgraph.reports.validation import schema

    run = run_pytest("-k", "test_leak")
    jsonschema.validate(run.report, schema("report"))
    json.dumps(run.report, allow_nan=False)  # strict JSON: a NaN or an infinity raises ValueError


def test_the_example_workflow_annotates_and_keeps_the_junit_xml():
    from pathlib import Path

    workflow = (Path(__file__).resolve().parent.parent / "examples" / "ci" / "msgraph-matrix.yml").read_text()
    assert "--ms-annotations=github" in workflow and "--junitxml=junit-${{ matrix.device }}.xml" in workflow
    assert "junit-${{ matrix.device }}.xml" in workflow.split("upload-artifact")[1]
    assert "pytest-randomly" not in workflow and "[test]" not in workflow  # a user's run: the plugin alone


def test_several_fixes_in_one_check_each_say_which_tests_they_are_for():
    """One fix for every finding shown is said alone; two or more are each labelled with their tests, so that a
    reader pairs each hint with its finding (seen on mindyolo's and mindocr's losses in one run)."""
    from types import SimpleNamespace

    from pytest_msgraph.reports.summary import _check_lines

    def finding(test, what, fix):
        return {"severity": "error", "nodeid": f"t.py::{test}[PYNATIVE_MODE]", "mode": "PYNATIVE_MODE",
                "message": f"{what} {fix}", "fix": fix}

    results = SimpleNamespace(tests={})
    two = _check_lines("mode_parity", "error", [finding("test_loss", "the label was written.", "Copy first."),
                                                finding("test_yolo", "a tuple, not a Tensor.", "Name the axis.")],
                       {}, results, 5)
    assert two[-2:] == ["  > for test_loss: Copy first.", "  > for test_yolo: Name the axis."], two
    one = _check_lines("mode_parity", "error", [finding("test_loss", "the label was written.", "Copy first."),
                                                finding("test_other", "the label was written.", "Copy first.")],
                       {}, results, 5)
    assert one[-1] == "  > Copy first.", one
    # Lint items share one name per file: the cells tell their fixes apart.
    lint = [{**finding("msgraph-lint", "np.random in graph code.", "Use MindSpore's random ops."), "cell": "Noisy"},
            {**finding("msgraph-lint", "try in graph code.", "Check before the call."), "cell": "Clamp"}]
    assert _check_lines("graph_syntax", "warn", lint, {}, results, 5)[-2:] == [
        "  > for Noisy: Use MindSpore's random ops.", "  > for Clamp: Check before the call."]
