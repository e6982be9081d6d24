"""The compliance matrix: ``--ms-report`` files from several runs merged into one table, compared with a baseline.

``python -m pytest_msgraph.matrix REPORT...`` runs it from a shell (``cli``); ``merge``
builds the matrix and ``baseline`` compares it (pure data); ``markdown`` and ``html``
render it (the page's template in ``templates/``). Reports are read and validated by
``reports.validation``; MindSpore is never imported: a matrix is built where it may not be installed.
"""
from ..reports.validation import ReportError, load_report
from .baseline import mark_regressions
from .cli import main
from .html import to_html
from .markdown import to_markdown
from .merge import build_matrix

__all__ = ["ReportError", "build_matrix", "load_report", "main", "mark_regressions", "to_html", "to_markdown"]
