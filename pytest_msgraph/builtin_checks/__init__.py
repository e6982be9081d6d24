"""The checks that ship with pytest-msgraph, registered through the plugin's own hook."""
from .context_leak import ContextLeakCheck


def pytest_msgraph_register_checks(registry, config):
    registry.add(ContextLeakCheck())
