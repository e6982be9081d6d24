"""The warning category of the plugin's findings under policy ``warn``."""
import pytest


class MsGraphWarning(pytest.PytestWarning):
    """A pytest-msgraph finding reported as a warning (filter with ``-W``)."""
