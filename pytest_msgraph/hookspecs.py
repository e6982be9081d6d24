"""Hooks that pytest-msgraph offers to conftest files and other plugins.

Implement them in a ``conftest.py`` at the root of the test suite, or in a
plugin, so they are known before the session is configured.
"""
from __future__ import annotations

import pytest


@pytest.hookspec
def pytest_msgraph_register_checks(registry, config):
    """Add checks to the session.

    Call ``registry.add(check)`` with an instance of a ``pytest_msgraph.Check``
    subclass. Its findings then go through the same policies
    (``--ms-check NAME=error|warn|off``, ``@pytest.mark.ms_allow``), terminal
    summary and JSON report as the built-in checks.

    :param pytest_msgraph.checks.CheckRegistry registry: where checks are added.
    :param pytest.Config config: the session's config.
    """


@pytest.hookspec
def pytest_msgraph_finding(finding, config):
    """Called on the process that runs the test for each finding, after its policy applied.

    :param pytest_msgraph.Finding finding: the finding, with its severity set.
    :param pytest.Config config: the session's config.
    """
