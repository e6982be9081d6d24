"""``python -m pytest_msgraph.lint``."""
import sys

from .cli import main

sys.exit(main())
