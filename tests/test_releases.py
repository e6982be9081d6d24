"""Every tested MindSpore release gets every check; another release is said so at start-up.

These run on whichever MindSpore the environment holds: tox's ms27 ... ms210 run them on
each tested release (and .ci/run on the oldest and the newest), so each assertion that
names a release is checked where that release is installed.
"""
import json
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

from pytest_msgraph.core import releases

INSTALLED = metadata.version("mindspore")


# -- the tested range (pure) ------------------------------------------------------------------
@pytest.mark.parametrize("version", releases.TESTED)
def test_a_tested_release_gets_no_start_up_line(version):
    assert releases.status_line(version) is None
    assert releases.untested_note(version) == ""


def test_an_older_release_is_said_with_what_to_upgrade_to():
    line = releases.status_line("2.6.0")
    assert line == ("msgraph: mindspore 2.6.0 is older than the oldest tested release (2.7.2; tested 2.7.2 to "
                    "2.10.0): checks whose MindSpore internals are missing say so as inactive; upgrade to "
                    "mindspore>=2.7.2 for every check")
    assert "upgrade to mindspore>=2.7.2" in releases.upgrade_advice("2.6.0")
    assert releases.is_older("2.7.1") and not releases.is_older("2.7.2")


def test_a_newer_release_runs_and_is_said():
    line = releases.status_line("2.11.0")
    assert line is not None and "is newer than the newest tested release (2.10.0" in line and "the checks run" in line
    assert releases.untested_note("2.10.1") == " (newer than the newest tested, 2.10.0)"
    assert "pin mindspore<=2.10.0" in releases.upgrade_advice("3.0.0")


def test_versions_are_compared_as_numbers_not_text():
    assert releases.parse("2.10.0rc1") == (2, 10, 0)
    assert releases.parse("not installed") is None
    assert releases.status_line("not installed") is None
    assert not releases.is_newer("2.9.0")  # "2.9.0" > "2.10.0" as text


def test_pyproject_names_the_oldest_tested_release():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert f'"mindspore>={releases.LOWER_BOUND}"' in text


# -- where each internal lives, on the installed release --------------------------------------
RESOLVE = textwrap.dedent('''
    import json
    from pytest_msgraph.mindspore_side import internals
    found = {}
    for key in internals.INTERNALS:
        try:
            found[key] = internals.resolve(key).__name__
        except internals.ProbeUnavailable as exc:
            found[key] = None
    style, _, _ = internals.pynative_grads()
    print(json.dumps({"found": found, "style": style,
                      "verified": {k: list(v.verified) for k, v in internals.INTERNALS.items()}}))
''')


def test_each_internal_is_where_the_table_says_on_this_release():
    out = subprocess.run([sys.executable, "-c", RESOLVE], capture_output=True, text=True, check=True).stdout
    table = json.loads(out.strip().splitlines()[-1])
    found, style = table["found"], table["style"]
    new = releases.parse(INSTALLED) >= (2, 9, 0)
    assert found["graph_executors"] == ("mindspore.graph.api" if new else "mindspore.common.api")
    assert style == ("functions" if new else "methods")
    # Of the two shapes of PyNative grads, the other release's is missing; everything else is found.
    other = {"grad_methods", "grad_executor"} if new else {"grad_functions"}
    assert {key for key, module in found.items() if module is None} == other
    if INSTALLED in releases.TESTED:
        assert all(INSTALLED in verified for verified in table["verified"].values())


# -- end to end ---------------------------------------------------------------------------------
def test_on_a_tested_release_every_check_is_active_and_nothing_is_said(run_pytest, pytester, net_source):
    pytester.makepyfile(net_source + '''
def test_step():
    net = Net()
    ms.value_and_grad(net)(ones(1, 3))
''')
    run = run_pytest("--ms-check=graph_syntax=warn")
    assert run.ret == 0, run.stdout()
    assert ": inactive (" not in run.stdout()
    assert "tested release" not in run.stdout()
    assert run.report["mindspore"] == INSTALLED


def _fake_metadata(pytester, monkeypatch, version):
    """A dist-info ahead of site-packages: the package metadata says ``version``, the real MindSpore runs."""
    dist = pytester.path / "fake_meta" / f"mindspore-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: mindspore\nVersion: {version}\n")
    monkeypatch.setenv("PYTHONPATH", str(dist.parent))


def test_a_newer_release_is_said_once_at_start_up_and_beside_the_summary(run_pytest, pytester, monkeypatch,
                                                                        net_source):
    _fake_metadata(pytester, monkeypatch, "2.11.0")
    pytester.makepyfile(net_source + "\ndef test_call():\n    Net()(ones(1, 3))\n")
    run = run_pytest()
    assert run.ret == 0, run.stdout()
    out = run.stdout()
    assert out.count("msgraph: mindspore 2.11.0 is newer than the newest tested release (2.10.0") == 1
    assert "mindspore 2.11.0 (newer than the newest tested, 2.10.0), device CPU" in out
    assert ": inactive (" not in out  # newer: the checks run
    assert run.report["mindspore"] == "2.11.0"


def test_an_older_release_makes_checks_whose_internals_are_missing_inactive_with_what_to_upgrade_to(
        run_pytest, pytester, monkeypatch, net_source, without_grad_internals):
    _fake_metadata(pytester, monkeypatch, "2.6.0")
    pytester.makeconftest("import mindspore\nmindspore.__version__ = '2.6.0'\n" + without_grad_internals)
    pytester.makepyfile(net_source + "\ndef test_call():\n    Net()(ones(1, 3))\n")
    run = run_pytest()
    out = run.stdout()
    assert run.ret == 0, out
    assert out.count("msgraph: mindspore 2.6.0 is older than the oldest tested release (2.7.2") == 1
    assert ("double_forward [error]: inactive (ProbeUnavailable: MindSpore 2.6.0 lacks the PyNative grad functions "
            "this check relies on: upgrade to mindspore>=2.7.2 (") in out
    # Compile watching needs none of those: recompile stays active.
    assert not any(line.startswith("recompile") and "inactive" in line for line in out.splitlines())


# -- a behaviour that differs between releases, said as it is on each --------------------------
def test_value_and_grad_after_set_grad_reruns_the_forward_on_2_7_and_2_8_only(run_pytest, pytester):
    """Measured: ``net.set_grad(); net(x); ms.value_and_grad(net)(x)`` runs construct twice and updates
    BatchNorm twice on 2.7 and 2.8; 2.9 and later reuse the recorded forward. ms.grad reuses it on all."""
    pytester.makepyfile('''
import numpy as np
import mindspore as ms
from mindspore import nn


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3, 4)
        self.bn = nn.BatchNorm1d(4)

    def construct(self, x):
        return self.bn(self.dense(x)).sum()


def step(grad_api):
    net = Net()
    net.set_train()
    net.set_grad()
    x = ms.Tensor(np.random.randn(4, 3).astype(np.float32))
    net(x)
    grad_api(net)(x)


def test_value_and_grad():
    step(ms.value_and_grad)


def test_grad():
    step(ms.grad)
''')
    run = run_pytest()
    reruns = releases.parse(INSTALLED) < (2, 9, 0)
    assert run.outcomes() == {"test_value_and_grad_after_set_grad_reruns_the_forward_on_2_7_and_2_8_only.py::"
                              f"test_{name}": outcome for name, outcome in
                              (("value_and_grad", "failed" if reruns else "passed"), ("grad", "passed"))}
    flagged = {(f["check"], f["api"]) for f in run.findings()}
    if not reruns:
        assert flagged == set()
        return
    assert flagged == {("double_forward", "value_and_grad"), ("bn_update_count", "value_and_grad")}
    for finding in run.findings():
        assert f"although set_grad() was called: MindSpore {INSTALLED}'s value_and_grad runs the forward again" \
            in finding["message"]
        assert "upgrade to mindspore>=2.9" in finding["fix"]


def test_readme_tox_and_ci_name_the_same_releases():
    """README's table, tox's environments and .ci/run say what core/releases.py says is tested."""
    import re
    from pathlib import Path

    root = Path(__file__).parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Supported MindSpore releases")[1].split("\n## ")[0]
    rows = re.findall(r"^\| (\d+\.\d+\.\d+)", section, flags=re.M)
    assert sorted(rows, key=releases.parse) == list(releases.TESTED)
    tox = (root / "tox.ini").read_text(encoding="utf-8")
    for version in releases.TESTED:
        env = "ms" + "".join(version.split(".")[:2])
        assert f"    {env}: mindspore=={version}" in tox, env
        assert f"tox `{env}`" in section or f"`{env}`" in section, env
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert f'"mindspore=={releases.OLDEST}"' in ci
    assert "@tests/release-tests.txt" in ci and "@tests/release-tests.txt" in tox
