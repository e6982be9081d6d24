"""What a run leaves behind: results gathered from test reports, the terminal summary, the JSON
report and its validation, and the compliance matrix that merges reports.

Imports ``checks`` (the frame) and ``core``, never the MindSpore side: a matrix is built where
MindSpore may not be installed.
"""
