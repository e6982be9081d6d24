"""Green gates that tell the truth (issue 29): annotations by outcome, ms_gradcheck's ok, check_init on
small parameters, node ids whatever the spelling of a path option. Real MindSpore, in subprocesses."""
import re

from conftest import NET_SOURCE

# --- item 6: annotations tell the truth about the outcome ------------------------------------------

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
ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")


def _annotations(run):
    return [ANNOTATION.match(line).groups() for line in run.stdout().splitlines() if line.startswith("::")]


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
