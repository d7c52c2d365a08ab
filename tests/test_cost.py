"""Memory, precision and rebuild-count helpers of lesson 08."""

import math

import numpy as np
import pytest
import torch

import rope_course as rc
from rope_course.cost import (
    GIB,
    MIB,
    cos_sin_cache_bytes,
    cpu_arange_model,
    decode_rebuild_rows,
    distinct_positions,
    dtype_bytes,
    float32_angle_error,
    init_cache_bytes,
    median_times_interleaved,
    model_init_cache_bytes,
    nearest_positions,
    position_rounding_error,
    rounding_error,
)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16, torch.float64])
def test_cache_bytes_match_real_tensors(dtype):
    mod = rc.RotaryEmbedding(16, max_position_embeddings=40)
    cos, sin = mod(torch.zeros(1, dtype=dtype), seq_len=100)
    assert cos_sin_cache_bytes(100, 16, dtype) == mod.cos_cached.nbytes + mod.sin_cached.nbytes
    assert cos.nbytes + sin.nbytes == cos_sin_cache_bytes(100, 16, dtype)


def test_init_cache_bytes_match_the_discarded_tensors():
    mod = rc.RotaryEmbedding(32, max_position_embeddings=300)
    assert init_cache_bytes(300, 32) == mod.cos_cached.nbytes + mod.sin_cached.nbytes
    assert init_cache_bytes(300, 32, torch.bfloat16) == init_cache_bytes(300, 32) // 2


def test_deepseek_v3_numbers():
    assert init_cache_bytes(163840, 64, torch.float32) == 80 * MIB
    assert model_init_cache_bytes(61, 163840, 64, torch.float32) / GIB == pytest.approx(4.765625)
    assert model_init_cache_bytes(61, 163840, 64, torch.bfloat16) / GIB == pytest.approx(2.3828125)


def test_dtype_bytes():
    assert [dtype_bytes(d) for d in (torch.float32, torch.bfloat16, torch.float64)] == [4, 2, 8]
    with pytest.raises(TypeError):
        dtype_bytes("float32")


def test_bf16_positions():
    assert distinct_positions(2048, torch.bfloat16) == 641
    assert distinct_positions(256, torch.bfloat16) == 256  # 8 significant bits: exact up to 256
    assert distinct_positions(2048, torch.float32) == 2048
    assert position_rounding_error(2048, torch.bfloat16) == 4.0
    assert position_rounding_error(2048, torch.float32) == 0.0


def test_float32_angle_error_against_numpy():
    positions = np.array([0, 1, 1000, 65535, 131071])
    got = float32_angle_error(10000, 64, positions)
    inv32 = (1.0 / (10000.0 ** (np.arange(0, 64, 2, dtype=np.float32) / np.float32(64)))).astype(np.float32)
    ang32 = (positions.astype(np.float32)[:, None] * inv32[None, :]).astype(np.float32)
    exact = positions[:, None] * 10000.0 ** (-np.arange(32) * 2.0 / 64)
    want = np.abs(ang32.astype(np.float64) - exact).max(axis=0)
    # numpy's float32 pow may differ from torch's by an ulp; the errors agree to well within that
    np.testing.assert_allclose(got["angle"].numpy(), want, atol=131071 * 2e-7)
    assert got["angle"].shape == (32,) and got["cos"].shape == (32,)
    assert got["angle"][0] == 0.0  # inv_freq[0] = 1 and integer positions < 2^24 are exact
    assert float(got["angle"].max()) < 0.01 and float(got["angle"].max()) > 1e-3


def test_float32_angle_error_rejects_bad_positions():
    with pytest.raises(ValueError):
        float32_angle_error(10000, 64, [])


@pytest.mark.parametrize("prefill,steps", [(5, 10), (1, 0), (4096, 3), (7, 1)])
def test_decode_rebuild_rows_counts_a_real_decode_loop(prefill, steps):
    mod = rc.RotaryEmbedding(8, max_position_embeddings=4)
    rows = 0
    x = torch.zeros(1)
    for length in [prefill] + [prefill + k for k in range(1, steps + 1)]:
        before = mod.max_seq_len_cached
        mod(x, seq_len=length)
        if before is None or length > before:
            rows += mod.cos_cached.shape[0]
    assert decode_rebuild_rows(prefill, steps) == rows


def test_median_times_interleaved_calls_each_function():
    calls = {"a": 0, "b": 0}

    def mk(name):
        def f():
            calls[name] += 1
        return f

    out = median_times_interleaved({"a": mk("a"), "b": mk("b")}, repeats=3, min_run_time=0.001)
    assert set(out) == {"a", "b"} and all(v > 0 and math.isfinite(v) for v in out.values())
    assert calls["a"] >= 3 and calls["b"] >= 3  # torch.utils.benchmark runs each at least once a round


def _bf16_nearest_by_hand(p: int) -> int:
    """Round a non-negative integer to 8 significant bits, ties to even (independent of torch)."""
    if p < 256:
        return p
    spacing = 2 ** (p.bit_length() - 8)
    low, rest = divmod(p, spacing)
    if 2 * rest > spacing or (2 * rest == spacing and low % 2 == 1):
        low += 1
    return low * spacing


def test_nearest_positions_round_to_nearest_even():
    got = nearest_positions(20000, torch.bfloat16).int().tolist()
    assert got == [_bf16_nearest_by_hand(p) for p in range(20000)]
    assert nearest_positions(2048, torch.bfloat16).unique().numel() == 641
    assert nearest_positions(1500, torch.bfloat16).unique().numel() == 572


@pytest.fixture
def one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def test_cpu_arange_model_reproduces_torch_for_this_builds_width(one_thread):
    torch_positions = torch.arange(131072, dtype=torch.bfloat16)
    found = [w for w in (4, 8, 16, 32, 64) if torch.equal(cpu_arange_model(131072, w), torch_positions)]
    assert len(found) == 1, found  # exactly one vector width explains torch's kernel here
    width = found[0]
    rng = np.random.default_rng(0)
    for n in [1, 2, width, 2 * width - 1, 2 * width, 2 * width + 1, 4096, 257 * width + 2, 131071,
              *rng.integers(1, 140000, 40).tolist()]:
        for dtype in (torch.bfloat16, torch.float16):
            assert torch.equal(cpu_arange_model(int(n), width, dtype), torch.arange(int(n), dtype=dtype)), (n, dtype)
    # below 256 * width every vector starts on an exact bf16 value: arange rounds to nearest there
    assert torch.equal(cpu_arange_model(256 * width, width), nearest_positions(256 * width, torch.bfloat16))
    model = cpu_arange_model(131072, width)
    assert int((model != nearest_positions(131072, torch.bfloat16)).nonzero()[0]) == 257 * width + 1
    assert position_rounding_error(131072, torch.bfloat16) == 256 + width - 1


def test_cpu_arange_model_rejects_bad_width():
    with pytest.raises(ValueError):
        cpu_arange_model(10, 0)
    with pytest.raises(TypeError):
        cpu_arange_model(10, 2.0)


def test_rounding_error():
    x = torch.tensor([0.5 + 2**-9, 1.0, 0.75], dtype=torch.float32)  # a tie, an exact value, an exact value
    assert rounding_error(x, torch.bfloat16) == 2**-9
    assert rounding_error(torch.tensor([0.3, 0.7], dtype=torch.float64), torch.float64) == 0.0
    with pytest.raises(TypeError):
        rounding_error(torch.arange(3), torch.bfloat16)
