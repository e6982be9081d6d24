"""--ms-report's path: any spelling keeps the rootdir and the node ids, a path that cannot be written is a usage
error before any test (or, at the end, loses no other output), the file honours the umask, an ini path is the
rootdir's."""
import json
import os
import stat

import pytest

from pytest_msgraph.pytest_side.path_options import joined, spaced_values

SPELLED = '''
import pytest


@pytest.mark.project_marker
def test_a():
    pass


def test_fails():
    assert 1 == 2
'''


def _nodeids(path):
    return [t["nodeid"] for t in json.loads(path.read_text())["tests"]]


def test_node_ids_do_not_depend_on_how_the_report_path_is_spelled(pytester, run_pytest):
    pytester.makepyfile(test_spelled=SPELLED)
    # The project's ini must be found too: without it the marker is unknown and --strict-markers fails collection.
    pytester.makeini("[pytest]\naddopts = --strict-markers\nmarkers =\n    project_marker: the project's own\n")
    outside = pytester.path.parent / f"{pytester.path.name}-reports"
    outside.mkdir()
    reference = run_pytest(f"--ms-report={outside / 'ref.json'}", report=False)
    expected = _nodeids(outside / "ref.json")
    assert expected == ["test_spelled.py::test_a", "test_spelled.py::test_fails"], reference.stdout()
    spellings = {
        "space, absolute, outside": ["--ms-report", str(outside / "r1.json")],
        "space, relative, outside": ["--ms-report", f"../{outside.name}/r2.json"],
        "space, relative, inside": ["--ms-report", "reports/r3.json"],
        "space, absolute, inside": ["--ms-report", str(pytester.path / "r4.json")],
        "=, absolute, outside": [f"--ms-report={outside / 'r5.json'}"],
    }
    (pytester.path / "reports").mkdir()
    for name, args in spellings.items():
        written = (pytester.path / args[-1].split("=")[-1]).resolve()
        # Under xdist each spelling (the workers get the path joined to its option); serially, once more for a
        # relative path outside the rootdir, the spelling that moved it (the placeholder exists at the 2nd run).
        for run_args in (["-n", "2"], []) if name == "space, relative, outside" else (["-n", "2"],):
            run = run_pytest(*run_args, *args, report=False, cache=True)
            assert _nodeids(written) == expected, (name, run_args, run.stdout())
            assert "rootdir: " + str(pytester.path) in run.stdout() and "configfile: tox.ini" in run.stdout()
            assert run.ret == 1, (name, run_args, run.stdout())
            lastfailed = json.loads((pytester.path / ".pytest_cache/v/cache/lastfailed").read_text())
            assert list(lastfailed) == ["test_spelled.py::test_fails"], (name, run_args)


def test_path_options_are_joined_to_their_value_for_the_workers():
    args = ["-n", "2", "--ms-report", "/x/r.json", "--ms-report=/y.json", "tests", "--ms-report"]
    assert spaced_values(args) == ["/x/r.json"]
    assert joined(args) == ["-n", "2", "--ms-report=/x/r.json", "--ms-report=/y.json", "tests", "--ms-report"]


def _under_a_file(root):
    (root / "afile").write_text("x")
    return root / "afile" / "r.json"


@pytest.mark.parametrize("make, message", [
    (lambda root: root, "is a folder"),
    (_under_a_file, "is a file, so"),
    (lambda root: "/proc/msgraph/r.json", "cannot create files in /proc"),
])
def test_an_unwritable_report_path_is_a_usage_error_before_any_test(pytester, usage_error, make, message):
    pytester.makepyfile("def test_a():\n    pass\n")
    path = make(pytester.path)
    usage_error(f"--ms-report={path}", message=message)


def test_a_report_that_fails_at_the_end_loses_no_other_output(pytester, run_pytest):
    pytester.makepyfile(test_gone='''
import shutil
import mindspore


def test_removes_the_report_folder(pytestconfig):
    shutil.rmtree(pytestconfig.rootpath / "out")
    (pytestconfig.rootpath / "out").write_text("now a file")


def test_fails():
    assert 1 == 2
''')
    (pytester.path / "out").mkdir()
    run = run_pytest("--ms-report=out/r.json", report=False)
    stdout = run.stdout()
    assert run.ret == 1
    assert "msgraph: could not write the report to" in stdout
    assert "FAILURES" in stdout and "assert 1 == 2" in stdout
    assert "= msgraph =" in stdout and "examined nothing: " in stdout  # the msgraph section
    assert "1 failed, 1 passed" in stdout
    assert "Traceback" not in stdout + run.stderr()


def test_the_report_honours_the_umask_and_never_replaces_a_non_regular_file(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n")
    old = os.umask(0o022)
    try:
        run = run_pytest()
        link = pytester.path / "devnull-link.json"
        link.symlink_to("/dev/null")
        through = run_pytest(f"--ms-report={link}", report=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((pytester.path / "msgraph-report.json").stat().st_mode) == 0o644
    assert through.ret == 0 and run.ret == 0
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_ini_report_path_resolves_against_rootdir(pytester, monkeypatch, net_source):
    pytester.makeini("[pytest]\nms_report = reports/r.json\n")
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n")
    sub = pytester.mkdir("sub")
    monkeypatch.chdir(sub)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", str(pytester.path))
    assert result.ret == 0
    assert (pytester.path / "reports" / "r.json").exists()
    assert not (sub / "reports").exists()
