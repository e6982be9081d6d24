"""``python -m pytest_msgraph.matrix``."""
import sys

from .cli import main

sys.exit(main())
