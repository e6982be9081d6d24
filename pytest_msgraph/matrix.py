"""``python -m pytest_msgraph.matrix``: the compliance matrix, at the path users know.

The code lives in ``pytest_msgraph.reports`` (``matrix``, ``matrix_markdown``,
``matrix_html``, ``matrix_cli``); this module keeps the public command and its names.
"""
import sys

from .reports.matrix import build_matrix
from .reports.matrix_baseline import mark_regressions
from .reports.matrix_cli import main
from .reports.matrix_html import to_html
from .reports.matrix_markdown import to_markdown
from .reports.validation import ReportError, load_report

__all__ = ["ReportError", "build_matrix", "load_report", "main", "mark_regressions", "to_html", "to_markdown"]

if __name__ == "__main__":
    sys.exit(main())
