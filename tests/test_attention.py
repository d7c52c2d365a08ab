"""rope_course.attention: relative scores, angle ranges, and the tiny attention with a KV cache."""

import math

import numpy as np
import pytest
import reference_numpy as ref
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import rope_course as rc
from rope_course.attention import (
    KVCache,
    TinyCausalAttention,
    angle_ranges,
    causal_attention,
    current_base,
    decode,
    distance_to_trained_angles,
    first_never_turned_pair,
    inv_freq64,
    make_attention,
    ones_score,
    post_rope_key_bases,
    prefill,
    prefix_reference,
    resonance_inv_freq,
    rope_score,
    s_min,
    stale_angle_errors,
)

D, L, S, BASE, PREFILL, STEPS = 64, 16, 2.0, 10000.0, 16, 8


@pytest.fixture(scope="module")
def hidden():
    torch.manual_seed(0)
    return torch.randn(1, PREFILL + STEPS, 32)


def _make(kind, mode):
    return lambda: make_attention(kind, mode, D, L, S, BASE)


# --- the tiny attention ------------------------------------------------------------------------

def test_standard_rope_post_and_pre_caching_agree_exactly(hidden):
    post = decode(_make("standard", "post")(), hidden, PREFILL)
    pre = decode(_make("standard", "pre")(), hidden, PREFILL)
    assert torch.equal(post, pre)


def _relative_gap(a, b):
    return ((a - b).norm(dim=-1) / b.norm(dim=-1))[0]


def test_dynamic_post_rope_decoding_disagrees_with_prefill_by_the_quoted_amount(hidden):
    # Lesson 07 quotes, per decoded token, the stale-key error (2.2-9.1 %) and the whole
    # dynamic-vs-standard difference (2.1-14.6 %) as relative norms of the output vector.
    post = decode(_make("dynamic", "post")(), hidden, PREFILL)
    reference = prefix_reference(_make("dynamic", "post"), hidden)
    standard = prefix_reference(_make("standard", "post"), hidden)
    stale = _relative_gap(post, reference)
    whole = _relative_gap(reference, standard)
    assert stale[:PREFILL].max() < 1e-6 and whole[:PREFILL].max() < 1e-6   # up to L nothing differs
    assert (stale[PREFILL:] > 1e-2).all()                                  # every decoded token is off
    assert (round(stale[PREFILL:].min().item(), 3), round(stale[PREFILL:].max().item(), 3)) == (0.022, 0.091)
    assert (round(whole[PREFILL:].min().item(), 3), round(whole[PREFILL:].max().item(), 3)) == (0.021, 0.146)
    one_shot = prefill(_make("dynamic", "post")(), hidden)                 # the last row of the reference
    torch.testing.assert_close(one_shot[:, -1], reference[:, -1], atol=1e-6, rtol=0)


def test_pre_rope_caching_matches_one_shot_prefill(hidden):
    pre = decode(_make("dynamic", "pre")(), hidden, PREFILL)
    one_shot = prefill(_make("dynamic", "pre")(), hidden)
    assert (pre[:, -1] - one_shot[:, -1]).abs().max() < 1e-5
    reference = prefix_reference(_make("dynamic", "post"), hidden)
    assert (pre - reference).abs().max() < 1e-5


def _two_layers(kind, mode):
    """Layer 2 reads layer 1's output: 2 heads x 64 = 128 numbers per token; its own weights."""
    return [make_attention(kind, mode, D, L, S, BASE),
            make_attention(kind, mode, D, L, S, BASE, hidden_size=128, seed=1)]


def test_a_stack_runs_its_layers_in_turn_each_with_its_own_cache(hidden):
    one = make_attention("dynamic", "pre", D, L, S, BASE)
    assert torch.equal(decode([one], hidden, PREFILL), decode(_make("dynamic", "pre")(), hidden, PREFILL))
    layers = _two_layers("dynamic", "post")
    by_hand = layers[1](layers[0](hidden, KVCache()), KVCache())
    assert torch.equal(prefill(_two_layers("dynamic", "post"), hidden), by_hand)
    with pytest.raises(TypeError, match="attn"):
        decode([], hidden, PREFILL)
    with pytest.raises(TypeError, match="attn"):
        prefill("attention", hidden)


def test_pre_rope_caching_matches_the_prefix_prefill_in_one_layer_but_not_in_two(hidden):
    """One layer: re-rotated keys give every decoded token its prefix prefill's output. Two layers:
    layer 2's cached keys and values were computed from layer 1's outputs at earlier steps, under
    earlier bases, so no re-rotation recovers the prefix prefill; with standard RoPE nothing moves."""
    one = _relative_gap(decode(_make("dynamic", "pre")(), hidden, PREFILL), prefix_reference(_make("dynamic", "post"),
                                                                                              hidden))
    assert one.max() < 1e-6
    reference = prefix_reference(lambda: _two_layers("dynamic", "post"), hidden)
    pre = _relative_gap(decode(_two_layers("dynamic", "pre"), hidden, PREFILL), reference)
    post = _relative_gap(decode(_two_layers("dynamic", "post"), hidden, PREFILL), reference)
    assert pre[:PREFILL].max() < 1e-6 and (pre[PREFILL:] > 3e-3).all()
    assert (pre[PREFILL:] < post[PREFILL:]).all()
    std_ref = prefix_reference(lambda: _two_layers("standard", "post"), hidden)
    for mode in ("post", "pre"):
        assert _relative_gap(decode(_two_layers("standard", mode), hidden, PREFILL), std_ref).max() < 1e-6


def test_one_shot_prefill_does_not_depend_on_the_cache_mode(hidden):
    a = prefill(_make("dynamic", "post")(), hidden)
    b = prefill(_make("dynamic", "pre")(), hidden)
    assert torch.equal(a, b)


@pytest.mark.parametrize("kind", ["dynamic", "standard"])
@pytest.mark.parametrize("mode", ["post", "pre"])
def test_a_rebuild_happens_at_every_decode_step(hidden, kind, mode):
    attn = _make(kind, mode)()
    decode(attn, hidden, PREFILL)
    assert [e["kv_seq_len"] for e in attn.log] == list(range(PREFILL, PREFILL + STEPS + 1))
    assert all(e["rebuilt"] for e in attn.log)
    assert sum(e["rebuilt"] for e in attn.log) == 1 + STEPS


def test_no_rebuild_reported_when_the_table_is_long_enough(hidden):
    attn = _make("standard", "post")()
    prefill(attn, hidden)                 # table of 24 rows
    prefill(attn, hidden[:, :10])         # 10 <= 24: sliced, not rebuilt
    assert [e["rebuilt"] for e in attn.log] == [True, False]


def test_dynamic_base_per_step_matches_the_formula(hidden):
    attn = _make("dynamic", "post")()
    decode(attn, hidden, PREFILL)
    bases = [e["base"] for e in attn.log]
    assert bases[0] == BASE
    for entry in attn.log[1:]:   # the independent float64 formula, not the package's own base
        assert math.isclose(entry["base"], ref.dynamic_base(BASE, D, entry["kv_seq_len"], L, S), rel_tol=1e-12)
    assert round(bases[1], 1) == 11292.8 and round(bases[-1], 1) == 20452.2
    assert all(b1 > b0 for b0, b1 in zip(bases[1:], bases[2:]))
    assert torch.equal(attn.rotary_emb.inv_freq, rc.inv_freq_for_base(bases[-1], D))


def test_post_cache_holds_the_key_rotated_with_its_own_steps_base(hidden):
    attn = _make("dynamic", "post")()
    cache = KVCache()
    attn(hidden[:, :PREFILL], cache)
    for t in range(PREFILL, PREFILL + STEPS):
        attn(hidden[:, t:t + 1], cache)
    # Project token 16 exactly as its own call did (one row), so the raw key is bit-identical.
    raw = (hidden[:, 16:17] @ attn.k_proj.T).view(1, 1, 2, D).transpose(1, 2)
    base16 = rc.dynamic_ntk_base(BASE, D, 17, L, S)
    cos, sin = rc.cos_sin_tables(rc.inv_freq_for_base(base16, D), 17, torch.float32)
    _, expected = rc.apply_rotary_pos_emb(raw, raw, cos, sin, torch.tensor([[16]]))
    assert torch.equal(cache.keys[:, :, 16:17], expected)
    raw_d = rc.deinterleave(raw)[0, 0, 0]
    angle = (torch.atan2(cache.keys[0, 0, 16, 63], cache.keys[0, 0, 16, 31]) - torch.atan2(raw_d[63], raw_d[31])).item()
    assert abs(angle - 0.001897) < 2e-6


def test_pre_cache_holds_raw_keys(hidden):
    attn = _make("dynamic", "pre")()
    cache = KVCache()
    attn(hidden[:, :PREFILL], cache)
    attn(hidden[:, PREFILL:PREFILL + 1], cache)
    heads = lambda h: (h @ attn.k_proj.T).view(1, -1, 2, D).transpose(1, 2)
    raw = torch.cat((heads(hidden[:, :PREFILL]), heads(hidden[:, PREFILL:PREFILL + 1])), dim=-2)
    assert torch.equal(cache.keys, raw)
    assert len(cache) == PREFILL + 1


def _naive_causal(q, k, v, past_len, scale):
    b, h, q_len, d = q.shape
    out = torch.zeros(b, h, q_len, d, dtype=torch.float64)
    for bi in range(b):
        for hi in range(h):
            for i in range(q_len):
                p = past_len + i
                scores = [float(q[bi, hi, i].double() @ k[bi, hi, j].double()) * scale for j in range(p + 1)]
                m = max(scores)
                w = [math.exp(s_ - m) for s_ in scores]
                z = sum(w)
                for j in range(p + 1):
                    out[bi, hi, i] += (w[j] / z) * v[bi, hi, j].double()
    return out


@pytest.mark.parametrize("q_len,kv_len", [(5, 5), (1, 6), (3, 7)])
def test_causal_masking_matches_a_naive_loop(q_len, kv_len):
    g = torch.Generator().manual_seed(q_len * 10 + kv_len)
    q = torch.randn(2, 2, q_len, 4, generator=g)
    k = torch.randn(2, 2, kv_len, 4, generator=g)
    v = torch.randn(2, 2, kv_len, 4, generator=g)
    past = kv_len - q_len
    got = causal_attention(q, k, v, past, 0.5)
    assert torch.allclose(got.double(), _naive_causal(q, k, v, past, 0.5), atol=1e-5)


def test_future_tokens_do_not_change_earlier_outputs(hidden):
    changed = hidden.clone()
    changed[:, 10:] += 1.0
    a = prefill(_make("standard", "post")(), hidden)
    b = prefill(_make("standard", "post")(), changed)
    assert torch.equal(a[:, :10], b[:, :10])
    assert not torch.allclose(a[:, 10:], b[:, 10:])


def test_attention_rejects_a_bad_cache_mode_and_kind():
    with pytest.raises(ValueError, match="cache_keys"):
        TinyCausalAttention(rc.RotaryEmbedding(8, 16), cache_keys="after")
    with pytest.raises(ValueError, match="kind"):
        make_attention("yarn")


def test_same_seed_same_weights_across_cache_modes():
    a, b = make_attention("dynamic", "post"), make_attention("dynamic", "pre")
    assert torch.equal(a.q_proj, b.q_proj) and torch.equal(a.k_proj, b.k_proj) and torch.equal(a.v_proj, b.v_proj)


@given(calls=st.lists(st.integers(1, 80), min_size=1, max_size=12), s=st.sampled_from([1.0, 2.0, 3.5]))
@settings(max_examples=60, deadline=None)
def test_current_base_follows_the_longest_length_seen(calls, s):
    """Checked against the independent float64 formula, not against the package's own base."""
    rot = rc.DynamicNTKScalingRotaryEmbedding(8, 16, 10000.0, scaling_factor=s)
    assert current_base(rot) == 10000.0
    for seq_len in calls:
        rot(torch.zeros(1), seq_len=seq_len)
    longest = max(calls)
    expected = ref.dynamic_base(10000.0, 8, longest, 16, s) if longest > 16 else 10000.0
    assert math.isclose(current_base(rot), expected, rel_tol=1e-12)
    np.testing.assert_allclose(rot.inv_freq.double().numpy(), ref.inv_freq(expected, 8), rtol=1e-6)
    assert current_base(rc.RotaryEmbedding(8, 16, 500.0)) == 500.0


# --- pure math ---------------------------------------------------------------------------------

@pytest.mark.parametrize("m,n", [(7, 0), (50, 43), (3, 9), (200, 0)])
def test_rope_score_matches_rotating_with_the_package(m, n):
    dim = 16
    g = torch.Generator().manual_seed(m * 1000 + n)
    q = torch.randn(1, 1, 1, dim, generator=g, dtype=torch.float64)
    k = torch.randn(1, 1, 1, dim, generator=g, dtype=torch.float64)
    inv = torch.as_tensor(inv_freq64(10000.0, dim))
    table = torch.outer(torch.arange(256, dtype=torch.float64), inv)
    cos, sin = torch.cat((table, table), -1).cos(), torch.cat((table, table), -1).sin()
    q_rot, _ = rc.apply_rotary_pos_emb(q, q, cos, sin, torch.tensor([[m]]))
    _, k_rot = rc.apply_rotary_pos_emb(k, k, cos, sin, torch.tensor([[n]]))
    direct = (q_rot * k_rot).sum().item()
    assert rope_score(q.flatten(), k.flatten(), [m - n], inv).item() == pytest.approx(direct, abs=1e-10)


def test_ones_score_is_the_mean_cosine():
    inv = inv_freq64(10000.0, 8)
    got = ones_score(inv, [0, 3])
    assert got[0] == 1.0
    assert got[1] == pytest.approx(np.mean(np.cos(3 * inv)), abs=1e-15)
    ones = torch.ones(8, dtype=torch.float64)
    assert rope_score(ones, ones, [3], inv).item() / 8 == pytest.approx(got[1], abs=1e-12)


def test_angle_ranges_counts_quoted_in_lesson_06():
    r = angle_ranges(64, 10000.0, 8192, 4096, 1.0)
    assert list(np.flatnonzero(~r["cycled"])) == list(range(23, 32))
    assert (r["n_uncycled"], r["n_beyond_plain"], r["n_beyond_dynamic"]) == (9, 9, 9)
    assert round(r["worst_dynamic_ratio"], 3) == 1.196
    assert angle_ranges(64, 10000.0, 8192, 4096, 2.0)["n_beyond_dynamic"] == 0


def test_angle_ranges_match_the_closed_form():
    dim, L_, l_, s_ = 64, 4096, 20000, 3.0
    r = angle_ranges(dim, 10000.0, l_, L_, s_)
    a = rc.ntk_bracket(l_, L_, s_)
    i = np.arange(dim // 2)
    np.testing.assert_allclose(r["dynamic_ratio"], (l_ - 1) / (L_ - 1) * a ** (-2 * i / (dim - 2)), rtol=1e-12)
    np.testing.assert_allclose(r["plain_ratio"], np.full(dim // 2, (l_ - 1) / (L_ - 1)), rtol=1e-15)


@pytest.mark.parametrize("L_", [16, 4096, 163840])
@pytest.mark.parametrize("factor", [1.001, 2, 40])
def test_lowest_pair_stays_inside_exactly_when_s_reaches_L_over_L_minus_1(L_, factor):
    l_ = int(L_ * factor) + 1
    edge = L_ / (L_ - 1)
    assert angle_ranges(64, 10000.0, l_, L_, edge)["dynamic_ratio"][-1] <= 1 + 1e-12
    assert angle_ranges(64, 10000.0, l_, L_, 1.0)["dynamic_ratio"][-1] > 1


def test_angle_ranges_inside_the_window_change_nothing():
    r = angle_ranges(64, 10000.0, 4096, 4096, 8.0)
    assert r["new_base"] == 10000.0 and r["n_beyond_plain"] == 0 and r["n_beyond_dynamic"] == 0
    np.testing.assert_array_equal(r["dynamic_ratio"], np.ones(32))


@pytest.mark.parametrize("cache_keys", ["post", "pre"])
@pytest.mark.parametrize("kind", ["dynamic", "standard"])
def test_tensors_the_helpers_create_follow_the_input_device(kind, cache_keys):
    """On the meta device every op only checks devices and shapes: a tensor created on the CPU
    anywhere on the path (positions, masks, tables, weights) would raise a device mismatch."""
    attn = make_attention(kind, cache_keys, dim=8, max_position_embeddings=4, hidden_size=8)
    hidden = torch.empty(2, 7, 8, device="meta")
    out = decode(attn, hidden, prefill_len=3)
    assert out.device.type == "meta" and out.shape == (2, 7, 2 * 8)
    assert attn.rotary_emb.cos_cached.device.type == "meta"
    if kind == "dynamic":  # the rebuild past L made its new inv_freq on the input's device too
        assert attn.rotary_emb.inv_freq.device.type == "meta"


@pytest.mark.parametrize("dtype", [torch.float64, torch.bfloat16])
def test_tensors_the_helpers_create_follow_the_input_dtype(dtype):
    attn = make_attention("dynamic", "pre", dim=8, max_position_embeddings=4, hidden_size=8)
    hidden = torch.randn(1, 6, 8, generator=torch.Generator().manual_seed(0)).to(dtype)
    out = decode(attn, hidden, prefill_len=2)
    assert out.dtype == dtype and attn.rotary_emb.cos_cached.dtype == dtype
    reference = decode(make_attention("dynamic", "pre", dim=8, max_position_embeddings=4, hidden_size=8),
                       hidden.double(), prefill_len=2)
    torch.testing.assert_close(out.double(), reference, atol=0.1 if dtype == torch.bfloat16 else 1e-12, rtol=0)


# --- never-turned pairs, s_min, angles between the trained ones, stale keys ---------------------

def _never_turned_by_loop(dim, base, L):
    return [i for i in range(dim // 2) if (L - 1) * base ** (-2 * i / dim) < 2 * math.pi]


@pytest.mark.parametrize("dim,base,L", [(64, 1e4, 4096), (128, 1e4, 4096), (32, 100.0, 128), (64, 5e4, 4096),
                                        (64, 1e4, 16), (8, 2.0, 4096)])
def test_first_never_turned_pair(dim, base, L):
    never = _never_turned_by_loop(dim, base, L)
    assert first_never_turned_pair(dim, base, L) == (never[0] if never else None)


def _s_min_by_bisection(dim, base, seq_len, L):
    """The smallest s with no never-turned pair beyond its trained range, from the ratio formula
    (l-1)/(L-1) * a^(-2i/(D-2)) alone: independent of s_min's closed form."""
    never = np.array(_never_turned_by_loop(dim, base, L))

    def inside(s):
        a = 1 + s * (seq_len / L - 1)
        return np.all((seq_len - 1) / (L - 1) * a ** (-2 * never / (dim - 2)) <= 1)

    lo, hi = 1.0, 1e6
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if inside(mid) else (mid, hi)
    return hi


@pytest.mark.parametrize("dim,base,L", [(64, 1e4, 4096), (32, 100.0, 128), (128, 1e4, 4096), (64, 5e4, 2048)])
@pytest.mark.parametrize("factor", [1.001, 2, 4, 8, 32])
def test_s_min_is_the_smallest_factor_that_keeps_every_never_turned_pair_inside(dim, base, L, factor):
    l_ = int(L * factor) + 1
    got = s_min(l_, L, dim, base)
    assert got == pytest.approx(_s_min_by_bisection(dim, base, l_, L), rel=1e-9)
    assert angle_ranges(dim, base, l_, L, got * (1 + 1e-9))["n_beyond_dynamic"] == 0
    assert angle_ranges(dim, base, l_, L, got * (1 - 1e-6))["n_beyond_dynamic"] >= 1


def test_s_min_numbers_of_lessons_06_and_10():
    assert [round(s_min(f * 4096, 4096, 64, 1e4), 3) for f in (2, 4, 8, 32)] == [1.546, 1.827, 2.213, 3.415]
    # lesson 10's toy: D = 32, b = 100, L = 128
    assert (round(s_min(4 * 128, 128, 32, 100.0), 2), round(s_min(8 * 128, 128, 32, 100.0), 2)) == (1.89, 2.31)


def test_s_min_refuses_lengths_inside_the_window_and_is_1_without_never_turned_pairs():
    with pytest.raises(ValueError, match="seq_len"):
        s_min(4096, 4096, 64, 1e4)
    assert first_never_turned_pair(8, 2.0, 4096) is None and s_min(8192, 4096, 8, 2.0) == 1.0


def _distance_by_brute_force(theta_trained, theta, L, seq_len):
    trained = np.arange(L) * theta_trained
    angles = np.arange(seq_len) * theta
    d = np.abs(np.mod(angles[:, None] - trained[None, :] + math.pi, 2 * math.pi) - math.pi)
    return d.min(axis=1).max()


@pytest.mark.parametrize("dim,base,L,seq_len,s", [(16, 100.0, 40, 200, 1.0), (8, 1e4, 64, 150, 2.0),
                                                  (32, 500.0, 100, 100, 1.0), (16, 10.0, 7, 60, 3.0)])
def test_distance_to_trained_angles_matches_a_brute_force_search(dim, base, L, seq_len, s):
    theta = inv_freq64(base, dim)
    theta_now = inv_freq64(rc.dynamic_ntk_base(base, dim, seq_len, L, s), dim)
    got = distance_to_trained_angles(theta, theta_now, L, seq_len)
    expected = [_distance_by_brute_force(a, b, L, seq_len) for a, b in zip(theta, theta_now)]
    np.testing.assert_allclose(got, expected, atol=1e-12, rtol=0)


@given(dim=st.sampled_from([8, 16, 64]), base=st.sampled_from([10.0, 500.0, 1e4]), L=st.integers(8, 600),
       factor=st.floats(1.0, 16.0), s=st.floats(1.0, 16.0))
@settings(max_examples=40, deadline=None)
def test_a_pair_that_turned_in_training_is_never_more_than_half_a_step_from_a_trained_angle(dim, base, L, factor, s):
    seq_len = max(1, int(L * factor))
    theta = inv_freq64(base, dim)
    turned = (L - 1) * theta >= 2 * math.pi
    # a never-turned pair met the arc [0, (L-1) theta] at steps theta: no angle is farther than half
    # the wider of a step and the arc it never met (lesson 06's exercise 3)
    never_bound = np.maximum(theta, 2 * math.pi - (L - 1) * theta) / 2
    for method_freq in (theta, inv_freq64(rc.dynamic_ntk_base(base, dim, seq_len, L, s), dim)):
        d = distance_to_trained_angles(theta, method_freq, L, seq_len)
        assert np.all(d[turned] <= theta[turned] / 2 + 1e-12)
        assert np.all(d[~turned] <= never_bound[~turned] + 1e-12)


def test_resonance_rope_repeats_trained_angles_exactly_for_the_turned_pairs():
    dim, base, L = 64, 1e4, 4096
    theta = resonance_inv_freq(base, dim)
    wavelengths = 2 * math.pi / theta
    np.testing.assert_allclose(wavelengths, np.round(wavelengths), rtol=0, atol=1e-9)
    np.testing.assert_allclose(wavelengths, np.round(2 * math.pi / inv_freq64(base, dim)), rtol=1e-12)
    turned = wavelengths <= L - 1
    d = distance_to_trained_angles(theta, theta, L, 32 * L)
    assert np.all(d[turned] < 1e-9)
    plain = distance_to_trained_angles(inv_freq64(base, dim), inv_freq64(base, dim), L, 32 * L)
    assert plain[turned].max() > 0.02   # the unrounded wavelengths fall between trained angles


@pytest.mark.parametrize("prefill_len", [16, 10, 20])
def test_post_rope_key_bases_are_the_bases_the_real_attention_used(hidden, prefill_len):
    attn = _make("dynamic", "post")()
    decode(attn, hidden, prefill_len)
    seq_len = hidden.shape[1]
    got = post_rope_key_bases(seq_len, prefill_len, D, BASE, L, S)
    log = {e["kv_seq_len"]: e["base"] for e in attn.log}   # the base in force after each call
    expected = [log[max(p + 1, prefill_len)] for p in range(seq_len)]
    assert list(got) == expected
    assert list(post_rope_key_bases(seq_len, prefill_len, D, BASE, L, S, positions=[3, 23])) == [expected[3],
                                                                                                 expected[23]]


def test_stale_angle_errors_match_angles_read_back_from_the_cache(hidden):
    attn, cache = _make("dynamic", "post")(), KVCache()
    attn(hidden[:, :PREFILL], cache)
    for t in range(PREFILL, PREFILL + STEPS):
        attn(hidden[:, t:t + 1], cache)
    fresh = KVCache()
    _make("dynamic", "post")()(hidden, fresh)
    half = D // 2
    angle = lambda k: torch.atan2(k[..., half:].double(), k[..., :half].double())  # noqa: E731
    diff = torch.remainder(angle(cache.keys) - angle(fresh.keys), 2 * math.pi)[0]
    measured = torch.minimum(diff, 2 * math.pi - diff).amax(dim=0).numpy()        # (positions, pairs), worst head
    got = stale_angle_errors(PREFILL + STEPS, PREFILL, D, BASE, L, S)
    np.testing.assert_allclose(got, measured, atol=2e-4, rtol=0)
    assert np.all(got[-1] == 0) and got[:PREFILL, 0].max() == 0.0                 # pair 0 never changes


def test_stale_key_helpers_check_their_inputs():
    with pytest.raises(ValueError, match="prefill_len"):
        post_rope_key_bases(10, 11, D, BASE, L, S)
    with pytest.raises(ValueError, match="positions"):
        stale_angle_errors(10, 5, D, BASE, L, S, positions=[10])
    with pytest.raises(TypeError, match="positions"):
        post_rope_key_bases(10, 5, D, BASE, L, S, positions=[1.5])
    with pytest.raises(ValueError, match="pairs"):
        stale_angle_errors(10, 5, D, BASE, L, S, pairs=[32])
