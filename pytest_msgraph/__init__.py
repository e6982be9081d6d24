"""pytest-msgraph: make a MindSpore test suite prove its models are graph-mode compliant."""
from .checks import Check, CheckRegistry
from .findings import Finding, TestRun
from .modes import Mode
from .warning import MsGraphWarning

__version__ = "0.1.0"
__all__ = ["Check", "CheckRegistry", "Finding", "Mode", "MsGraphWarning", "TestRun", "__version__"]
