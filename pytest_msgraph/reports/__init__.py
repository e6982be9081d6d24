"""What a run leaves behind: results gathered from test reports, the terminal summary, the JSON
report and its validation (which the compliance matrix, in ``matrix/``, reads reports with).

Imports ``checks`` (the frame) and ``core``, never the MindSpore side: a report is read where
MindSpore may not be installed.
"""
