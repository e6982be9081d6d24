"""Probes: MindSpore's Python-level calls (Cell calls, grad calls, compiles) watched for the checks.

Each module patches one kind of entry point, once per process, and only while a
listener listens: ``cell_calls`` (``nn.Cell.__call__``), ``grad_calls`` (the grad
forward and the GRAPH_MODE grad functions), ``compiles`` (every graph compiled).
``hub`` holds the listeners and the state the cell and grad patches share;
``locations`` the helpers they all use.
"""
from .grad_calls import GRAPH, PYNATIVE, GradCall
from .hub import Probes, ProbeUnavailable
from .locations import cell_path, cells_behind, closure_values, is_after_grad, ref_to, same_objects, user_location

__all__ = ["GRAPH", "PYNATIVE", "GradCall", "ProbeUnavailable", "Probes", "cell_path", "cells_behind", "closure_values",
           "is_after_grad", "ref_to", "same_objects", "user_location"]
