"""Where two eager recordings of one call part (``parity/unrepeatable.py``): plain unit tests on made-up recordings.

A recording is the calls ([cell, args, kwargs, output arrays, index of the calling call]) and the gradients caught
for them ({(call index, "in" or "out", position): array}); a network `net` (call 0) calls `trunk` (1), which calls
`lstm` (2), then `head` (3)."""
import numpy as np

from pytest_msgraph.checks.builtin.parity import arithmetic as math
from pytest_msgraph.checks.builtin.parity.unrepeatable import first_unrepeatable

X = np.ones((2, 3), np.float32)


def _recording(lstm_out=X, lstm_grad_in=X, head_grad_out=X, head_grad_in=X):
    calls = [["net", (X,), {}, [X], -1], ["trunk", (X,), {}, [lstm_out], 0], ["lstm", (X,), {}, [lstm_out], 1],
             ["head", (lstm_out,), {}, [X], 0]]
    grads = {(3, "out", 0): head_grad_out, (3, "in", 0): head_grad_in, (2, "out", 0): head_grad_in,
             (2, "in", 0): lstm_grad_in, (1, "out", 0): head_grad_in, (1, "in", 0): lstm_grad_in}
    return calls, grads


def _first(one, other):
    return first_unrepeatable(math, one, other, 1e-4, 1e-5)


def test_recordings_that_agree_within_the_tolerance_name_nothing():
    assert _first(_recording(), _recording(lstm_grad_in=X + 1e-7)) is None


def test_a_backward_that_parts_is_placed_at_the_innermost_call_whose_output_gradients_agree():
    # trunk and lstm both get the same output gradient and give other input gradients: lstm, the innermost, is named.
    assert _first(_recording(), _recording(lstm_grad_in=X * 3)) == (2, "backward")


def test_a_call_whose_output_gradients_part_is_not_the_place_the_one_before_it_in_backward_order_is():
    # head's input gradient parts (its kernel), and so does everything after it in backward order: head is named.
    assert _first(_recording(), _recording(head_grad_in=X * 3, lstm_grad_in=X * 3)) == (3, "backward")


def test_a_backward_from_non_finite_output_gradients_is_never_the_place():
    nan = np.full_like(X, np.nan)
    # head's output gradient is NaN in both (alike), its input gradient differs: its kernel on NaN says nothing.
    assert _first(_recording(head_grad_out=nan), _recording(head_grad_out=nan, head_grad_in=X * 3,
                                                            lstm_grad_in=X * 3)) == (-1, "backward")


def test_a_forward_that_parts_is_placed_at_the_innermost_call_whose_inputs_agree():
    assert _first(_recording(), _recording(lstm_out=X * 2)) == (2, "forward")


def test_recordings_of_different_calls_part_with_no_place():
    calls, grads = _recording()
    assert _first((calls, grads), (calls[:3], grads)) == (-1, "forward")



def test_what_the_call_returned_is_compared_apart_and_places_nothing():
    from pytest_msgraph.checks.builtin.parity.unrepeatable import returned_part

    one, other = _recording(), _recording()
    one[1]["returned"], other[1]["returned"] = [X, X], [X, X * 3]
    assert _first(one, other) is None  # no call shows where: a weight gradient's owner is no evidence
    assert returned_part(math, one[1], other[1], 1e-4, 1e-5) and not returned_part(math, one[1], one[1], 1e-4, 1e-5)
