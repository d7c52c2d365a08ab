"""The three modules: upstream's behaviour and quirks, bit for bit, and the error paths."""

import copy

import numpy as np
import pytest
import reference_numpy as ref
import torch
import upstream_ops as up
from hypothesis import given, settings
from hypothesis import strategies as st

import rope_course as rc
from rope_course import (
    DynamicNTKScalingRotaryEmbedding,
    LinearScalingRotaryEmbedding,
    RotaryEmbedding,
    dynamic_ntk_base,
    inv_freq_for_base,
)

X32 = torch.zeros(1, dtype=torch.float32)


def count_rebuilds(module):
    """Wrap the instance's builder so every call is recorded (the class is untouched)."""
    calls = []
    original = module._set_cos_sin_cache

    def recording(seq_len, device, dtype):
        calls.append(seq_len)
        return original(seq_len, device, dtype)

    module._set_cos_sin_cache = recording
    return calls


# --- __init__ ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [RotaryEmbedding, DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding])
def test_init_builds_a_cache_and_discards_it(cls):
    m = cls(8, max_position_embeddings=16)
    assert m.max_seq_len_cached is None
    assert m.cos_cached.shape == (16, 8) and m.sin_cached.shape == (16, 8)
    assert m.cos_cached.dtype == torch.get_default_dtype()
    assert torch.equal(m.inv_freq, inv_freq_for_base(10000, 8))


def test_buffers_are_not_persistent():
    m = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    assert m.state_dict() == {}
    assert {name for name, _ in m.named_buffers()} == {"inv_freq", "cos_cached", "sin_cached"}


def test_defaults_match_upstream():
    m = DynamicNTKScalingRotaryEmbedding(64)
    assert (m.max_position_embeddings, m.base, m.scaling_factor) == (2048, 10000, 1.0)


def test_dynamic_overrides_only_init_and_builder():
    overridden = {k for k, v in vars(DynamicNTKScalingRotaryEmbedding).items() if callable(v)}
    assert overridden == {"__init__", "_set_cos_sin_cache"}
    assert "forward" not in vars(DynamicNTKScalingRotaryEmbedding)
    assert DynamicNTKScalingRotaryEmbedding.forward is RotaryEmbedding.forward


# --- the forward's rebuild rule ------------------------------------------------------------

def test_first_forward_rebuilds_even_below_L():
    m = RotaryEmbedding(8, 16)
    calls = count_rebuilds(m)
    cos, sin = m(X32, seq_len=4)
    assert calls == [4] and m.max_seq_len_cached == 4
    assert cos.shape == (4, 8) and m.cos_cached.shape == (4, 8)  # exact-length rebuild


def test_strict_greater_and_exact_length_rebuilds():
    m = RotaryEmbedding(8, 16)
    calls = count_rebuilds(m)
    for seq_len in [5, 5, 3, 6, 6, 20, 7, 21]:
        m(X32, seq_len=seq_len)
    assert calls == [5, 6, 20, 21]
    assert m.max_seq_len_cached == 21 and m.cos_cached.shape[0] == 21


def test_decode_loop_rebuilds_every_step():
    """Prefill of 5 then 10 one-token steps: 11 rebuilds (SOURCES.md#upstream-forward)."""
    m = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    calls = count_rebuilds(m)
    m(X32, seq_len=5)
    for kv_seq_len in range(6, 16):
        m(X32, seq_len=kv_seq_len)
    assert len(calls) == 11 and calls == list(range(5, 16))


def test_forward_returns_slice_views_and_cast_copies():
    m = RotaryEmbedding(8, 16)
    cos, _ = m(X32, seq_len=10)
    cos_short, _ = m(X32, seq_len=4)
    assert cos_short.data_ptr() == m.cos_cached.data_ptr()  # slice of the cache: a view
    cos64, _ = m(torch.zeros(1, dtype=torch.float64), seq_len=4)
    assert cos64.dtype == torch.float64 and cos64.data_ptr() != m.cos_cached.data_ptr()
    assert m.cos_cached.dtype == torch.float32  # no rebuild: the cache keeps its dtype
    assert torch.equal(cos64, m.cos_cached[:4].double())


def test_x_only_supplies_device_and_dtype():
    m1, m2 = RotaryEmbedding(8, 16), RotaryEmbedding(8, 16)
    a = m1(torch.randn(2, 3, 7, 8), seq_len=7)
    b = m2(torch.zeros(1), seq_len=7)
    assert all(torch.equal(u, v) for u, v in zip(a, b))


def test_rebuild_uses_x_dtype():
    m = RotaryEmbedding(8, 16)
    m(torch.zeros(1, dtype=torch.bfloat16), seq_len=4)
    assert m.cos_cached.dtype == torch.bfloat16


# --- the dynamic class ---------------------------------------------------------------------

def test_dynamic_branch_needs_strictly_longer_than_L():
    m = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    m(X32, seq_len=16)
    assert torch.equal(m.inv_freq, inv_freq_for_base(10000, 8))
    m(X32, seq_len=17)
    assert torch.equal(m.inv_freq, inv_freq_for_base(dynamic_ntk_base(10000, 8, 17, 16, 2.0), 8))


def test_history_dependence_short_after_long():
    """Facts file 2.3: D=8, L=16, s=2; after an l=32 call, an l=8 call gets the adjusted table."""
    fresh = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    cos_fresh, _ = fresh(X32, seq_len=8)
    used = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    used(X32, seq_len=32)
    cos_after, _ = used(X32, seq_len=8)
    np.testing.assert_allclose(fresh.inv_freq.numpy(), [1, 0.1, 0.01, 0.001], rtol=1e-6)
    np.testing.assert_allclose(used.inv_freq.numpy(), [1, 0.06934, 0.004807, 0.0003333], rtol=1e-3)
    assert (cos_fresh - cos_after).abs().max().item() == pytest.approx(0.12, abs=0.005)
    assert used.max_seq_len_cached == 32  # no rebuild for the short call


def test_inv_freq_overwritten_for_good_and_never_compounds():
    m = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    m(X32, seq_len=40)
    m(X32, seq_len=10)
    m(X32, seq_len=41)
    # b' computed from the untouched self.base each time, not from the previous b'
    assert torch.equal(m.inv_freq, inv_freq_for_base(dynamic_ntk_base(10000, 8, 41, 16, 2.0), 8))
    assert m.base == 10000


def test_dynamic_init_does_not_read_scaling_factor():
    """Facts file 2.1: the parent's init build has seq_len == L, so the NTK branch is skipped."""

    class LateDynamic(DynamicNTKScalingRotaryEmbedding):
        def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None, scaling_factor=1.0):
            RotaryEmbedding.__init__(self, dim, max_position_embeddings, base, device)
            self.scaling_factor = scaling_factor

    assert LateDynamic(8, 16, scaling_factor=2.0).max_seq_len_cached is None


def test_linear_init_needs_scaling_factor_first():
    class LateLinear(LinearScalingRotaryEmbedding):
        def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None, scaling_factor=1.0):
            RotaryEmbedding.__init__(self, dim, max_position_embeddings, base, device)
            self.scaling_factor = scaling_factor

    with pytest.raises(AttributeError, match="scaling_factor"):
        LateLinear(8, 16, scaling_factor=2.0)


def test_linear_divides_positions():
    m = LinearScalingRotaryEmbedding(16, 32, scaling_factor=4.0)
    cos, sin = m(torch.zeros(1, dtype=torch.float64), seq_len=50)
    rcos, _ = ref.tables(ref.inv_freq(10000, 16), 50, position_scale=4.0)
    np.testing.assert_allclose(cos.numpy(), rcos, atol=1e-6)


def test_module_cast_to_bf16_rounds_positions():
    m = RotaryEmbedding(64, 2048).to(torch.bfloat16)
    assert m.inv_freq.dtype == torch.bfloat16
    m(torch.zeros(1, dtype=torch.float32), seq_len=2048)
    positions = torch.arange(2048, dtype=torch.bfloat16)
    assert positions.unique().numel() == 641
    # column 0 has inv_freq 1, so its angles are exactly the (rounded) positions
    assert torch.equal(m.cos_cached[:, 0], positions.cos().float())  # bf16 angles, bf16 cos, then cast


# --- bit-identical to upstream over call sequences -----------------------------------------

calls = st.lists(st.integers(1, 80), min_size=1, max_size=8)


@given(dim=st.sampled_from([4, 8, 16, 64]), L=st.integers(1, 40), s=st.sampled_from([1.0, 1.5, 2.0, 8.0]),
       seq=calls,
       dtypes=st.lists(st.sampled_from([torch.float32, torch.float64, torch.bfloat16]), min_size=8, max_size=8))
@settings(max_examples=60, deadline=None)
def test_dynamic_matches_upstream_over_call_sequences(dim, L, s, seq, dtypes):
    ours = DynamicNTKScalingRotaryEmbedding(dim, L, scaling_factor=s)
    calls_made = count_rebuilds(ours)
    theirs = up.UpstreamDynamic(dim, L, s=s)
    for seq_len, dtype in zip(seq, dtypes):
        x = torch.zeros(1, dtype=dtype)
        got, want = ours(x, seq_len=seq_len), theirs.forward(x, seq_len)
        assert all(torch.equal(g, w) for g, w in zip(got, want))
        assert torch.equal(ours.inv_freq, theirs.inv_freq)
        assert ours.max_seq_len_cached == theirs.cached
    assert len(calls_made) == theirs.rebuilds


@given(dim=st.sampled_from([2, 4, 8, 64]), L=st.integers(1, 40), seq=calls)
@settings(max_examples=40, deadline=None)
def test_standard_matches_upstream_over_call_sequences(dim, L, seq):
    ours, theirs = RotaryEmbedding(dim, L), up.UpstreamStandard(dim, L)
    for seq_len in seq:
        got, want = ours(X32, seq_len=seq_len), theirs.forward(X32, seq_len)
        assert all(torch.equal(g, w) for g, w in zip(got, want))


def test_golden_values_deepseek_scale():
    m = DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=4096, scaling_factor=1.0)
    cos, sin = m(X32, seq_len=8192)
    b = dynamic_ntk_base(10000, 64, 8192, 4096, 1.0)
    rcos, rsin = ref.tables(ref.inv_freq(b, 64), 8192)
    np.testing.assert_allclose(cos.double().numpy(), rcos, atol=2e-3)
    np.testing.assert_allclose(sin.double().numpy(), rsin, atol=2e-3)
    assert cos.shape == (8192, 64) and cos.dtype == torch.float32


# --- bad input: a clear error, and no state changes ----------------------------------------

BAD_INIT = [
    (dict(dim=7), ValueError, "dim"),
    (dict(dim=0), ValueError, "dim"),
    (dict(dim=-4), ValueError, "dim"),
    (dict(dim=8.0), TypeError, "dim"),
    (dict(dim="8"), TypeError, "dim"),
    (dict(dim=True), TypeError, "dim"),
    (dict(dim=8, max_position_embeddings=0), ValueError, "max_position_embeddings"),
    (dict(dim=8, max_position_embeddings=2048.0), TypeError, "max_position_embeddings"),
    (dict(dim=8, base=0), ValueError, "base"),
    (dict(dim=8, base=-10000), ValueError, "base"),
    (dict(dim=8, base=float("inf")), ValueError, "base"),
    (dict(dim=8, base=float("nan")), ValueError, "base"),
    (dict(dim=8, base="10000"), TypeError, "base"),
    (dict(dim=8, base=1), ValueError, "base must be > 1 .*same frequency"),
    (dict(dim=8, base=0.5), ValueError, "base must be > 1 .*order of the pairs inverts"),
    (dict(dim=8, base=np.bool_(True)), TypeError, "base"),
    (dict(dim=np.bool_(True)), TypeError, "dim"),
    (dict(dim=torch.tensor(True)), TypeError, "dim"),
    (dict(dim=8, max_position_embeddings=10**9), ValueError, "seq_len=1000000000 would need .* GiB"),
]


@pytest.mark.parametrize("cls", [RotaryEmbedding, DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding])
@pytest.mark.parametrize("kwargs,error,name", BAD_INIT)
def test_bad_init_arguments(cls, kwargs, error, name):
    with pytest.raises(error, match=name):
        cls(**kwargs)


@pytest.mark.parametrize("cls", [DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding])
@pytest.mark.parametrize("value,error", [(0.5, ValueError), (0, ValueError), (-2.0, ValueError),
                                         (float("inf"), ValueError), (float("nan"), ValueError), ("2", TypeError),
                                         (None, TypeError)])
def test_bad_scaling_factor(cls, value, error):
    with pytest.raises(error, match="scaling_factor"):
        cls(8, scaling_factor=value)


def test_dynamic_needs_dim_at_least_4():
    with pytest.raises(ValueError, match=r"dim.*dim/\(dim-2\)"):
        DynamicNTKScalingRotaryEmbedding(2)
    RotaryEmbedding(2)  # the standard class is fine with D = 2


def snapshot(m):
    return (m.max_seq_len_cached, m.inv_freq.clone(), m.cos_cached.clone(), m.sin_cached.clone(), m.cos_cached.dtype)


def same(a, b):
    return a[0] == b[0] and a[4] == b[4] and all(torch.equal(x, y) for x, y in zip(a[1:4], b[1:4]))


@pytest.mark.parametrize("seq_len,error,message", [
    (None, ValueError, "seq_len is required.*upstream.*kv_seq_len"),
    (0, ValueError, "seq_len"),
    (-3, ValueError, "seq_len"),
    (3.0, TypeError, "seq_len"),
    ("8", TypeError, "seq_len"),
    (True, TypeError, "seq_len"),
    (np.bool_(True), TypeError, "seq_len must be an int, got a bool"),
    (torch.tensor(True), TypeError, "seq_len must be an int, got a bool"),
    (torch.tensor([5]), TypeError, "seq_len must be an int, got a tensor of shape"),
    (torch.tensor(5.0), TypeError, "seq_len"),
    (10**9, ValueError, "seq_len=1000000000 would need 59.6 GiB"),
    (2**40, ValueError, "seq_len=.* would need .* GiB .*typo"),
])
@pytest.mark.parametrize("history", [[], [40]])
def test_bad_seq_len_is_refused_without_state_change(seq_len, error, message, history):
    m = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    for h in history:
        m(X32, seq_len=h)
    before = snapshot(m)
    with pytest.raises(error, match=message):
        m(X32, seq_len=seq_len)
    with pytest.raises(error, match=message.split(".*")[0]):
        m._set_cos_sin_cache(seq_len, None, torch.float32)
    assert same(before, snapshot(m))


def test_bad_x_is_refused_without_state_change():
    m = RotaryEmbedding(8, 16)
    m(X32, seq_len=4)
    before = snapshot(m)
    with pytest.raises(TypeError, match="x"):
        m([0.0], seq_len=40)
    with pytest.raises(TypeError, match="x"):
        m(torch.zeros(1, dtype=torch.int64), seq_len=40)
    assert same(before, snapshot(m))


def test_integer_like_seq_len_accepted():
    m = RotaryEmbedding(8, 16)
    cos, _ = m(X32, seq_len=np.int64(5))
    assert cos.shape == (5, 8) and m.max_seq_len_cached == 5 and type(m.max_seq_len_cached) is int
    cos, _ = m(X32, seq_len=torch.tensor(6))
    assert cos.shape == (6, 8)


def test_deepcopy_and_state_dict_round_trip():
    m = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    m(X32, seq_len=32)
    clone = copy.deepcopy(m)
    assert torch.equal(clone.inv_freq, m.inv_freq)
    fresh = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    fresh.load_state_dict(m.state_dict())  # nothing persistent: the adjusted inv_freq is not carried over
    assert torch.equal(fresh.inv_freq, inv_freq_for_base(10000, 8))


@pytest.mark.parametrize("cls", [RotaryEmbedding, DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding])
@pytest.mark.parametrize("history", [[], [10], [40]])
def test_a_rebuild_that_fails_part_way_changes_nothing(cls, history, monkeypatch):
    """The new inv_freq and tables are built before any state is committed: make the table
    builder fail after the (dynamic) inv_freq was computed, and nothing may have moved."""
    from rope_course import rotary

    m = cls(8, 16) if cls is RotaryEmbedding else cls(8, 16, scaling_factor=2.0)
    for h in history:
        m(X32, seq_len=h)
    before = snapshot(m)

    def exploding_builder(*args, **kwargs):
        raise MemoryError("simulated: the allocator gave up half-way through a rebuild")

    monkeypatch.setattr(rotary, "cos_sin_tables", exploding_builder)
    with pytest.raises(MemoryError):
        m(X32, seq_len=64)
    assert same(before, snapshot(m))
    monkeypatch.undo()
    cos, _ = m(X32, seq_len=64)  # and it still works afterwards, as upstream would
    assert cos.shape == (64, 8) and m.max_seq_len_cached == 64


def test_successful_rebuild_state_matches_upstream_order():
    """Committing last changes nothing observable on success: same state as upstream's op order."""
    import upstream_ops as up

    ours = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    theirs = up.UpstreamDynamic(8, 16, s=2.0)
    for seq_len in [5, 40, 20, 41]:
        a, b = ours(X32, seq_len=seq_len), theirs.forward(X32, seq_len)
        assert all(torch.equal(x, y) for x, y in zip(a, b))
        assert ours.max_seq_len_cached == theirs.cached and torch.equal(ours.inv_freq, theirs.inv_freq)


def _error_of(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the test compares whatever upstream raises
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("history", [[], [4], [40]])
@pytest.mark.parametrize("ours,theirs", [
    (lambda: RotaryEmbedding(8, 16), lambda: up.UpstreamStandard(8, 16)),
    (lambda: DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0), lambda: up.UpstreamDynamic(8, 16, s=2.0)),
], ids=["standard", "dynamic"])
def test_upstream_errors_lets_upstreams_own_error_through(ours, theirs, history):
    """With the guard off, forward(x) without seq_len fails with exactly the error that the literal
    transcription of upstream's code raises, for a fresh module and after earlier calls."""
    mine, literal = ours(), theirs()
    for h in history:
        mine(X32, seq_len=h)
        literal.forward(X32, h)
    with pytest.raises(ValueError, match="seq_len is required"):
        mine(X32)  # the course's guard, on by default
    with rc.upstream_errors():
        got = _error_of(lambda: mine(X32))
    want = _error_of(lambda: literal.forward(X32, None))
    assert got is not None and got == want
    assert got[0] is TypeError
    expected = "arange" if not history and isinstance(mine, RotaryEmbedding) and not isinstance(
        mine, DynamicNTKScalingRotaryEmbedding) else "'>' not supported between instances of 'NoneType' and 'int'"
    assert expected in got[1]
    assert mine.max_seq_len_cached == literal.cached


def test_upstream_errors_is_scoped_and_changes_nothing_else():
    m = DynamicNTKScalingRotaryEmbedding(8, 16, scaling_factor=2.0)
    with rc.upstream_errors():
        cos, _ = m(X32, seq_len=40)  # valid calls behave exactly as outside
        assert cos.shape == (40, 8)
    assert torch.equal(m.inv_freq, inv_freq_for_base(rc.dynamic_ntk_base(10000, 8, 40, 16, 2.0), 8))
    with pytest.raises(ValueError, match="seq_len is required"):
        m(X32)
    with pytest.raises(RuntimeError):
        with rc.upstream_errors():
            raise RuntimeError("leaving the block by an exception turns the guard back on too")
    with pytest.raises(ValueError, match="seq_len"):
        m(X32, seq_len=0)
