"""The docs cannot drift: every option, ini key and check is documented; README stays short."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
REFERENCE = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")


def _help():
    return subprocess.run([sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, cwd=ROOT).stdout


def test_every_option_pytest_help_lists_is_in_the_reference():
    options = set(re.findall(r"--ms-[a-z-]+", _help()))
    assert len(options) >= 12
    missing = sorted(option for option in options if option not in REFERENCE)
    assert not missing, f"document these in docs/reference.md: {missing}"


def test_every_ini_key_is_in_the_reference():
    keys = set(re.findall(r"^\s+(ms_[a-z_]+)", _help(), flags=re.M))
    assert {"ms_device", "ms_checks", "ms_restore_context"} <= keys
    missing = sorted(key for key in keys if f"`{key}`" not in REFERENCE)
    assert not missing, f"document these in docs/reference.md: {missing}"


def test_every_check_has_its_page_and_every_marker_and_fixture_is_in_the_reference():
    from pytest_msgraph.checks import builtin as builtin_checks
    from pytest_msgraph.checks.frame import CheckRegistry

    registry = CheckRegistry()
    builtin_checks.pytest_msgraph_register_checks(registry, None)
    for name in registry.names():
        page = ROOT / "docs" / "checks" / f"{name}.md"
        assert page.exists(), f"docs/checks/{name}.md is missing"
        assert "## MindSpore internals it relies on" in page.read_text(encoding="utf-8")
    for name in ("both_modes", "ms_allow", "ms_device", "ms_tolerance", "ms_max_compiles", "msgraph_lint",
                 "ms_mode", "ms_shapes", "torch_parity", "pytest_msgraph_register_checks", "pytest_msgraph_finding"):
        assert f"`{name}" in REFERENCE, name


def test_readme_is_an_overview():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for link in re.findall(r"\]\((docs/[^)#]+)", readme):
        assert (ROOT / link).exists(), link


def _python_blocks():
    """(page, the comment line before it or '', source) for every ```python block in docs/."""
    for page in sorted((ROOT / "docs").rglob("*.md")):
        lines = page.read_text(encoding="utf-8").split("\n")
        for i, line in enumerate(lines):
            if line == "```python":
                end = lines.index("```", i + 1)
                before = lines[i - 1] if i and lines[i - 1].startswith("<!--") else ""
                yield page.relative_to(ROOT).as_posix(), before, "\n".join(lines[i + 1:end]) + "\n"


def test_every_runnable_code_block_in_docs_runs_as_written(pytester, run_pytest):
    """A block is run here, marked a fragment (``<!-- partial: ... -->``), or run by the test its
    ``<!-- check-example: ... -->`` names (tests/test_check_api.py); a block with no mark must run green."""
    runnable = []
    for page, mark, source in _python_blocks():
        assert mark.startswith(("<!-- partial:", "<!-- check-example:")) or not mark, (page, mark)
        if not mark:
            runnable.append((page, source))
    assert [page for page, _ in runnable] == ["docs/getting-started.md"]
    for n, (_, source) in enumerate(runnable):
        (pytester.path / f"test_doc_block_{n}.py").write_text(source)
    run = run_pytest()
    assert run.ret == 0, run.stdout()
    ran = {nodeid.split("::")[0] for nodeid, outcome in run.outcomes().items() if outcome == "passed"}
    assert ran == {f"test_doc_block_{n}.py" for n in range(len(runnable))}
