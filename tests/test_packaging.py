"""The wheel a user installs holds the whole package: every module, py.typed and the data files."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pytest_msgraph"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools", reason="building the wheel here needs setuptools (the test extra has it)")
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(out), str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("pytest_msgraph-*.whl")
    return path


def _shipped_sources():
    """What a wheel must hold: every module and data file of the package in the source tree."""
    files = set()
    for path in PACKAGE.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".typed", ".json", ".j2"):
            files.add(path.relative_to(ROOT).as_posix())
    return files


def test_the_wheel_holds_every_module_and_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _shipped_sources()
    assert len(expected) > 60
    assert "pytest_msgraph/py.typed" in expected
    assert not expected - names, f"missing from the wheel: {sorted(expected - names)}"


def test_no_file_of_the_package_is_ignored_by_git():
    """A clean clone has what the work tree has: a .gitignore line must not swallow a module (as reports/ did)."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    done = subprocess.run(["git", "ls-files", "--others", "--ignored", "--exclude-standard", "pytest_msgraph"],
                          cwd=ROOT, capture_output=True, text=True)
    ignored = [line for line in done.stdout.splitlines() if "__pycache__" not in line and not line.endswith(".pyc")]
    assert done.returncode == 0 and ignored == [], ignored


def test_the_wheel_declares_the_entry_points(wheel):
    archive = zipfile.ZipFile(wheel)
    (entry_points,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = archive.read(entry_points).decode()
    assert "[pytest11]\nmsgraph = pytest_msgraph.plugin" in text
    assert "[pytest_randomly.random_seeder]\nmsgraph = pytest_msgraph.mindspore_side.seeding:reseed_after_randomly" in text
