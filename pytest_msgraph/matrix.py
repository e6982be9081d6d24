"""``python -m pytest_msgraph.matrix``: the compliance matrix, at the path users know.

The code lives in ``pytest_msgraph.reports.matrix``; this module keeps the public
command and its names.
"""
import sys

from .reports.matrix import ReportError, build_matrix, load_report, main, mark_regressions, to_html, to_markdown

__all__ = ["ReportError", "build_matrix", "load_report", "main", "mark_regressions", "to_html", "to_markdown"]

if __name__ == "__main__":
    sys.exit(main())
