"""Bad input is said in one line, never with a traceback: option and ini values (usage error, exit 4), the
plugin's markers on unittest methods and a malformed parametrize (collection error, exit 2, pytest's own message)."""
import pytest


@pytest.mark.parametrize("args, message", [
    (["--ms-device="], "--ms-device was given an empty value"),
    (["--ms-report="], "--ms-report was given an empty value"),
    (["--ms-parity-rtol=inf"], "'inf' is not a tolerance; give a finite number"),
    (["--ms-parity-atol=nan"], "'nan' is not a tolerance; give a finite number"),
])
def test_empty_and_non_finite_values_are_usage_errors(pytester, usage_error, args, message):
    pytester.makepyfile("def test_a():\n    pass\n")
    usage_error(*args, message=message)


@pytest.mark.parametrize("ini, args, message", [
    ("ms_summary_max = \u00b2", [], "ini key ms_summary_max '\u00b2' is not a number of lines"),
    ("ms_recompile_threshold = \u00b3", [], "ini key ms_recompile_threshold: '\u00b3' is not a compile count"),
    ("", ["--ms-check="], "--ms-check was given an empty value"),
    ("", ["--ms-summary-max=-1"], "'-1' is not a number of lines"),
    ("", ["--ms-parity-max-bytes=\u00b2"], "is not a byte count"),
])
def test_bad_counts_and_empty_values_are_usage_errors(pytester, usage_error, ini, args, message):
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_a():\n    pass\n")
    usage_error(*args, message=message)


@pytest.mark.parametrize("marker, message", [
    ('ms_max_compiles("1")', "@pytest.mark.ms_max_compiles takes one whole number >= 0"),
    ('ms_allow("no_such_check")', "@pytest.mark.ms_allow names unknown check(s) 'no_such_check'"),
])
def test_markers_on_unittest_methods_are_validated(pytester, run_pytest, marker, message):
    pytester.makepyfile(test_case=f'''
import unittest
import pytest


class TestNet(unittest.TestCase):
    @pytest.mark.{marker}
    def test_x(self):
        pass
''')
    run = run_pytest()
    assert run.ret == 2
    assert "ERROR collecting test_case.py" in run.stdout() and message in run.stdout()
    assert "Traceback" not in run.stdout() and "TypeError" not in run.stdout()


@pytest.mark.parametrize("source", [
    '@pytest.mark.parametrize("a, b", [1, 2])\ndef test_f(a, b):\n    pass\n',
    '@pytest.mark.parametrize("mode", 5)\ndef test_f(mode):\n    pass\n',
    '@pytest.mark.parametrize(3, [1])\ndef test_f():\n    pass\n',
], ids=["names and values disagree", "not iterable", "names not a string"])
def test_a_malformed_parametrize_shows_pytests_own_message(pytester, run_pytest, monkeypatch, source):
    monkeypatch.setenv("PYTHONHASHSEED", "0")  # pytest prints a set in one of these messages
    pytester.makepyfile(test_bad="import pytest\n\n\n" + source)
    on = run_pytest(report=False)
    off = pytester.runpytest_subprocess("-p", "no:msgraph", "-p", "no:randomly", "-p", "no:cacheprovider")
    assert on.ret == off.ret == 2
    assert "pytest_msgraph" not in on.stdout() + on.stderr()

    def errors(text):
        return text.split("= ERRORS =")[1].split("short test summary")[0]

    assert errors(on.stdout()) == errors(off.stdout.str())
