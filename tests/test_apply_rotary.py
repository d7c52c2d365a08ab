"""rotate_half and DeepSeek's apply_rotary_pos_emb (with its de-interleave)."""

import numpy as np
import pytest
import reference_numpy as ref
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rope_course import RotaryEmbedding, apply_rotary_pos_emb, deinterleave, inv_freq_for_base, rotate_half


def rotated(q, k, positions_q, positions_k, dim, table_len=64, base=10000):
    m = RotaryEmbedding(dim, table_len, base=base)
    cos, sin = m(torch.zeros(1, dtype=q.dtype), seq_len=table_len)
    q_rot, _ = apply_rotary_pos_emb(q, q, cos, sin, positions_q)
    k_rot, _ = apply_rotary_pos_emb(k, k, cos, sin, positions_k)
    return q_rot, k_rot


def test_rotate_half():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert torch.equal(rotate_half(x), torch.tensor([-4.0, -5.0, -6.0, 1.0, 2.0, 3.0]))
    y = torch.randn(2, 3, 8)
    assert torch.equal(rotate_half(rotate_half(y)), -y)  # two quarter turns


def test_deinterleave_order():
    x = torch.arange(8.0)
    assert deinterleave(x).tolist() == [0, 2, 4, 6, 1, 3, 5, 7]
    with pytest.raises(ValueError, match="even"):
        deinterleave(torch.arange(5.0))


def test_matches_deepseek_view_transpose_reshape():
    q = torch.randn(2, 3, 5, 8)
    b, h, s, d = q.shape
    expected = q.view(b, h, s, d // 2, 2).transpose(4, 3).reshape(b, h, s, d)
    assert torch.equal(deinterleave(q), expected)


@given(p=st.integers(0, 63), seed=st.integers(0, 10**6), dim=st.sampled_from([2, 4, 8, 16, 64]))
@settings(max_examples=50, deadline=None)
def test_equals_adjacent_pair_complex_rope_on_original_layout(p, seed, dim):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(1, 2, 1, dim, generator=g, dtype=torch.float64)
    pos = torch.tensor([[p]])
    q_rot, _ = rotated(q, q, pos, pos, dim)
    inv = inv_freq_for_base(10000, dim).double().numpy()
    expected = ref.complex_rope(q.numpy(), np.array([p], dtype=np.float64), inv)
    # The result stays in the de-interleaved layout: compare after the same permutation.
    np.testing.assert_allclose(q_rot.numpy(), deinterleave(torch.from_numpy(expected)).numpy(), atol=1e-5)


@given(m=st.integers(0, 60), n=st.integers(0, 60), shift=st.integers(0, 3), seed=st.integers(0, 10**6))
@settings(max_examples=60, deadline=None)
def test_score_depends_only_on_relative_position(m, n, shift, seed):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(1, 1, 1, 16, generator=g, dtype=torch.float64)
    k = torch.randn(1, 1, 1, 16, generator=g, dtype=torch.float64)
    q1, k1 = rotated(q, k, torch.tensor([[m]]), torch.tensor([[n]]), 16)
    q2, k2 = rotated(q, k, torch.tensor([[m + shift]]), torch.tensor([[n + shift]]), 16)
    s1, s2 = (q1 * k1).sum().item(), (q2 * k2).sum().item()
    assert s1 == pytest.approx(s2, abs=1e-5)


def test_norms_preserved_and_position_zero_is_identity_up_to_layout():
    torch.manual_seed(0)
    q = torch.randn(2, 4, 10, 64, dtype=torch.float64)
    positions = torch.arange(10).expand(2, 10)
    q_rot, k_rot = rotated(q, q, positions, positions, 64)
    torch.testing.assert_close(q_rot.norm(dim=-1), q.norm(dim=-1), atol=1e-5, rtol=0)
    torch.testing.assert_close(q_rot[:, :, 0], deinterleave(q)[:, :, 0], atol=0, rtol=0)


def test_position_ids_pick_absolute_rows():
    """Decoding one token at position 9 uses row 9 of the table, not row 0."""
    torch.manual_seed(1)
    q = torch.randn(1, 1, 1, 8, dtype=torch.float64)
    full, _ = rotated(q.expand(1, 1, 10, 8).clone(), q, torch.arange(10)[None], torch.arange(1)[None], 8)
    step, _ = rotated(q, q, torch.tensor([[9]]), torch.tensor([[9]]), 8)
    torch.testing.assert_close(step[0, 0, 0], full[0, 0, 9])


def test_shape_mismatch_is_refused():
    cos = sin = torch.zeros(4, 8)
    with pytest.raises(ValueError, match="last axis"):
        apply_rotary_pos_emb(torch.zeros(1, 1, 4, 6), torch.zeros(1, 1, 4, 6), cos, sin, torch.arange(4)[None])
