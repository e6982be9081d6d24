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


def _metadata(wheel):
    archive = zipfile.ZipFile(wheel)
    (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    return archive.read(name).decode(), archive.namelist()


def test_the_wheel_says_its_license_status_python_versions_and_where_it_lives(wheel):
    from pytest_msgraph import __version__

    metadata, names = _metadata(wheel)
    fields = [line for line in metadata.splitlines() if ": " in line]
    assert f"Version: {__version__}" in fields  # one source: pytest_msgraph/core/version.py
    classifiers = {line.split(": ", 1)[1] for line in fields if line.startswith("Classifier: ")}
    assert "License-Expression: Apache-2.0" in fields  # PEP 639, no deprecated license classifier
    assert not [c for c in classifiers if c.startswith("License ::")]
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert {"Programming Language :: Python :: 3.9", "Programming Language :: Python :: 3.11"} <= classifiers
    urls = {line.split(": ", 1)[1].split(",")[0] for line in fields if line.startswith("Project-URL: ")}
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= urls
    assert any(n.endswith("LICENSE") and ".dist-info/" in n for n in names), "the LICENSE file is in the wheel"
    assert (ROOT / "LICENSE").read_text().startswith(" " * 33 + "Apache License")


def test_a_user_install_pulls_no_test_only_plugins():
    """pytest-randomly would shuffle a user's run and mindcv is the plugin's test data: only [test] has them."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    test_only = ("pytest-randomly", "mindcv", "pytest-split", "pytest-rerunfailures")
    user_facing = project["dependencies"] + [req for name, reqs in project["optional-dependencies"].items()
                                             if name not in ("test", "dev") for req in reqs]
    assert not [req for req in user_facing if req.startswith(test_only)]
    assert any(req.startswith("pytest-randomly") for req in project["optional-dependencies"]["test"])


def test_the_tox_device_envs_install_no_test_extra_and_hide_no_failure():
    import configparser

    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    device_env = tox["testenv:py311-{cpu,gpu,ascend}"]
    assert device_env.get("extras", "").strip() == ""
    # ignore_outcome would pass a runner that has the device and fails: unavailable runners skip instead.
    assert "ignore_outcome" not in device_env and "--ms-device-unavailable=skip" in device_env["commands"]
