"""The closed form of DeepSeek's dynamic state (lesson 05, after its exercise 1).

After any sequence of forward calls on a fresh `DynamicNTKScalingRotaryEmbedding`, the state is a
function of the longest call alone: with M = max(calls),

* `max_seq_len_cached == M` and the cached tables have exactly M rows;
* `inv_freq == inv_freq_for_base(dynamic_ntk_base(base, D, M, L, s), D)` bit for bit, which is the
  original `inv_freq` when M <= L (the base is unchanged there).

Why: the cached length is the running maximum of the calls (a call rebuilds iff it is longer
than every earlier one, or is the first), so the call that first reaches M rebuilds, sets the
base from M when M > L, and no later call rebuilds again. Checked here by property testing
against the real module, in any order, with repeats, and at lengths on both sides of L.
"""

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import rope_course as rc

X = torch.zeros(1)
L = 64

calls_strategy = st.lists(st.integers(min_value=1, max_value=4 * L), min_size=1, max_size=12)


@settings(max_examples=100, deadline=None)
@given(calls=calls_strategy,
       dim=st.sampled_from([4, 8, 16, 64]),
       scaling_factor=st.sampled_from([1.0, 1.25, 2.0, 3.5, 16.0]),
       base=st.sampled_from([10000.0, 50000.0, 500.0]))
def test_state_is_a_function_of_the_longest_call(calls, dim, scaling_factor, base):
    rope = rc.DynamicNTKScalingRotaryEmbedding(dim, L, base=base, scaling_factor=scaling_factor)
    for seq_len in calls:
        rope(X, seq_len=seq_len)
    longest = max(calls)
    closed_form = rc.inv_freq_for_base(rc.dynamic_ntk_base(base, dim, longest, L, scaling_factor), dim)
    assert torch.equal(rope.inv_freq, closed_form)
    assert rope.max_seq_len_cached == longest and tuple(rope.cos_cached.shape) == (longest, dim)
    cos, sin = rc.cos_sin_tables(closed_form, longest, torch.float32)
    assert torch.equal(rope.cos_cached, cos) and torch.equal(rope.sin_cached, sin)
    if longest <= L:
        assert torch.equal(rope.inv_freq, rc.inv_freq_for_base(base, dim))


@settings(max_examples=40, deadline=None)
@given(calls=calls_strategy, scaling_factor=st.sampled_from([1.0, 2.0, 8.0]))
def test_order_does_not_matter(calls, scaling_factor):
    """Any permutation of the same calls leaves the same state (only the maximum counts)."""
    states = []
    for order in (calls, sorted(calls), sorted(calls, reverse=True)):
        rope = rc.DynamicNTKScalingRotaryEmbedding(16, L, scaling_factor=scaling_factor)
        for seq_len in order:
            rope(X, seq_len=seq_len)
        states.append((rope.inv_freq.clone(), rope.max_seq_len_cached))
    for inv_freq, cached in states[1:]:
        assert torch.equal(inv_freq, states[0][0]) and cached == states[0][1]
