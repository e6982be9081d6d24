"""pytest-msgraph: make a MindSpore test suite prove its models are graph-mode compliant."""
from .checks.builtin.events import EventCheck
from .checks.findings import Finding, TestRun
from .checks.frame import Check, CheckRegistry
from .core.modes import Mode
from .core.version import __version__
from .pytest_side.warning import MsGraphWarning

__all__ = ["Check", "CheckRegistry", "EventCheck", "Finding", "Mode", "MsGraphWarning", "TestRun", "__version__"]
