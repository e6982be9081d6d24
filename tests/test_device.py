"""--ms-device: choice, validation, unavailable devices, header."""


def test_device_is_case_insensitive_and_shown_in_header_and_report(pytester, run_pytest):
    pytester.makepyfile("def test_f(): pass")
    run = run_pytest("--ms-device=cpu")
    assert run.ret == 0
    run.result.stdout.fnmatch_lines(["msgraph: mindspore 2.*, device CPU, modes GRAPH_MODE,PYNATIVE_MODE*seed 0"])
    assert run.report["device"] == "CPU"
    assert run.report["tests"][0]["device"] == "CPU"


def test_device_from_ini(pytester, run_pytest):
    # Ascend, not CPU (MindSpore's default here): a test that passes only if the key is read.
    pytester.makeini("[pytest]\nms_device = Ascend\nms_device_unavailable = skip\n")
    pytester.makepyfile("def test_f(): pass")
    run = run_pytest()
    run.result.stdout.fnmatch_lines(["msgraph: *device Ascend (unavailable on this runner: every test skipped)*"])
    assert run.outcomes() == {"test_device_from_ini.py::test_f": "skipped"} and run.ret == 0


def test_unknown_device_is_a_usage_error_naming_the_choices(pytester, usage_error):
    pytester.makepyfile("def test_f(): pass")
    usage_error("--ms-device=TPU",
                message="msgraph: --ms-device / ms_device 'TPU' is not valid; valid choices: CPU, GPU, Ascend.")


def test_unavailable_device_is_a_clear_error(pytester, usage_error):
    pytester.makepyfile("def test_f(): pass")
    run = usage_error("--ms-device=GPU", message="--ms-device=GPU is not available with this MindSpore")
    assert "available: CPU" in run.stderr()
    assert "--ms-device-unavailable=skip" in run.stderr()


def test_unavailable_device_can_skip_every_test(pytester, run_pytest):
    pytester.makepyfile("import pytest\ndef test_f(): pass\n@pytest.mark.both_modes\ndef test_g(): pass")
    run = run_pytest("--ms-device=Ascend", "--ms-device-unavailable=skip", "-rs")
    assert run.ret == 0
    assert set(run.outcomes().values()) == {"skipped"}
    assert len(run.outcomes()) == 3
    # Skipped before any MindSpore session: the report still knows each test's mode.
    modes = {t["nodeid"].split("::")[1]: t["mode"] for t in run.report["tests"]}
    assert modes == {"test_f": "PYNATIVE_MODE", "test_g[GRAPH_MODE]": "GRAPH_MODE", "test_g[PYNATIVE_MODE]": "PYNATIVE_MODE"}
    run.result.stdout.fnmatch_lines(["*--ms-device=Ascend is not available*"])


def test_bad_unavailable_action_is_a_usage_error(pytester, usage_error):
    pytester.makepyfile("def test_f(): pass")
    usage_error("--ms-device-unavailable=ignore", message="'ignore' is not valid; valid choices: error, skip.")


def test_unavailable_device_skip_reason_does_not_advise_the_flag_in_use(pytester, run_pytest, net_source):
    pytester.makepyfile(net_source + "\ndef test_a():\n    pass\n")
    run = run_pytest("--ms-device=Ascend", "--ms-device-unavailable=skip", "-rs")
    assert "--ms-device=Ascend is not available" in run.stdout()
    assert "pass --ms-device-unavailable=skip" not in run.stdout()
