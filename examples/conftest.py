"""Helpers for the examples: expected failures that apply to one mode only."""
import pytest

from pytest_msgraph import Mode


@pytest.fixture
def xfail_in_graph_mode(request, ms_mode):
    """Mark this variant as an expected failure when it runs in GRAPH_MODE.

    The examples use it for code that is fine eagerly and broken when compiled:
    the PYNATIVE_MODE variant must pass, the GRAPH_MODE variant must fail.
    """

    def apply(reason, raises=None):
        if ms_mode is Mode.GRAPH_MODE:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason, raises=raises))

    return apply


@pytest.fixture
def xfail_in_pynative_mode(request, ms_mode):
    """The other direction: code written for graph mode that breaks eagerly (the GRAPH_MODE variant passes)."""

    def apply(reason, raises=None):
        if ms_mode is Mode.PYNATIVE_MODE:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason, raises=raises))

    return apply
