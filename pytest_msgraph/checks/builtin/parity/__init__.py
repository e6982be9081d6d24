"""The mode_parity family: GRAPH_MODE against PYNATIVE_MODE, one module per concern.

``mode_parity`` (the check), ``records`` (what a variant records of a call, and the
end-of-session comparison of the records), ``pairs`` (two sides compared, each
difference worded), ``evidence`` (which side departs, on what experiment or fact, and
why), ``outcomes`` (the verdict when one variant raises and its twin passes), and the
experiments run only after a mismatch: ``rerun`` (the call again, eagerly and on copies:
is the eager side repeatable, does it draw from host random state, does an input write
explain it), ``localise`` (the innermost sub-cell call where the modes part) and
``nonfinite`` (where a step's non-finite values start, from activations and gradients);
``arithmetic`` (values encoded and compared with dtype tolerances).
``pairs``, ``evidence``, ``outcomes`` and ``arithmetic`` are pure.
"""
