"""The plugin loads through its entry point, can be disabled, and leaves MindSpore alone when unused."""

NO_MINDSPORE_CONFTEST = '''
import sys

def pytest_sessionfinish(session):
    with open("imported.txt", "w") as f:
        f.write(str("mindspore" in sys.modules))
'''


def test_suite_without_mindspore_never_imports_it(pytester):
    pytester.makeconftest(NO_MINDSPORE_CONFTEST)
    pytester.makepyfile("def test_f(): assert 1 + 1 == 2")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == 0
    assert (pytester.path / "imported.txt").read_text() == "False"
    assert "= msgraph =" not in result.stdout.str()


def test_any_ms_option_loads_mindspore(pytester):
    pytester.makeconftest(NO_MINDSPORE_CONFTEST)
    pytester.makepyfile("def test_f(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--ms-seed=3")
    assert result.ret == 0
    assert (pytester.path / "imported.txt").read_text() == "True"


def test_plugin_registers_under_msgraph_and_can_be_disabled(pytester):
    pytester.makepyfile('''
import pytest
@pytest.mark.both_modes
def test_f():
    pass
''')
    on = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--co", "-q")
    on.stdout.fnmatch_lines(["*test_f[[]PYNATIVE_MODE[]]", "*test_f[[]GRAPH_MODE[]]"])
    off = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:msgraph", "--co", "-q")
    off.stdout.fnmatch_lines(["*::test_f"])
    assert "GRAPH_MODE" not in off.stdout.str()
    opts = pytester.runpytest_subprocess("-p", "no:msgraph", "--ms-seed=1")
    assert opts.ret == 4  # the options are gone with the plugin


def test_help_lists_options_and_markers(pytester):
    result = pytester.runpytest_subprocess("--help")
    result.stdout.fnmatch_lines(["*msgraph*", "*--ms-device=MS_DEVICE*", "*--ms-check=NAME=POLICY*"])
    markers = pytester.runpytest_subprocess("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.both_modes:*", "@pytest.mark.ms_allow(*checks):*"])
