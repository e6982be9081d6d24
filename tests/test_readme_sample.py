"""README's sample output is what README's first command prints: every line of it, in order.

The command runs in test_examples.py, once for the examples' findings and this sample, as a user
runs it after `pip install .`: without PyTorch (a stand-in `torch` package that is not there makes
the torch examples skip, as they do in a user's venv) and without pytest-randomly (which
`pip install .` does not pull in).
"""
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
_DECIMALS = re.compile(r"\d+\.\d+(\.\d+)*")


def first_command_arguments() -> list[str]:
    """The arguments README's first command gives pytest (``.venv/bin/pytest ARGS``)."""
    block = README.split("```bash", 1)[1].split("```", 1)[0]
    command = next(line for line in block.splitlines() if line.strip().startswith("python3 -m venv"))
    return shlex.split(command.split(".venv/bin/pytest ", 1)[1].split("&&")[0])


def sample_lines() -> list[str]:
    block = README.split("<!-- readme-sample:start -->", 1)[1].split("<!-- readme-sample:end -->", 1)[0]
    return block.strip().strip("`").strip("\n").splitlines()


def normalised(line: str) -> str:
    """A line without what changes from run to run: times, versions, the width of a title rule."""
    return _DECIMALS.sub("#", line).strip().strip("=").strip()


def test_the_first_command_runs_the_plugin_on_the_examples():
    arguments = first_command_arguments()
    assert arguments[0] == "examples" and "--ms-lint" in arguments


def sample_lines_printed(outlines: list[str]) -> None:
    """Assert that README's sample is what a run of its first command printed (``outlines``): every line, in order.

    test_examples.py makes that run once, for the examples' findings and for this."""
    printed = [normalised(line) for line in outlines]
    sample = sample_lines()
    assert len(sample) > 20 and sample.count("...") >= 3
    at = 0
    for line in sample:
        if line == "...":
            continue
        assert len(line) <= 160, f"README sample line over 160 characters: {line}"
        wanted = normalised(line)
        assert wanted in printed[at:], (f"README's sample line is not printed (in this order) by README's first "
                                        f"command:\n{line}\n\nThe run printed:\n" + "\n".join(outlines))
        at = printed.index(wanted, at) + 1
    # The final line is the sample's last: the counts are the run's.
    assert normalised(sample[-1]) == normalised(outlines[-1])
