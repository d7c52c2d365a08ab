"""The opt-in fast builder (`rope_course.perf`): bit-identical to upstream's op sequence on this build."""

import subprocess
import sys

import pytest
import torch
import upstream_ops as up

from rope_course import perf
from rope_course.functional import cos_sin_tables, inv_freq_for_base


def _bits(t: torch.Tensor) -> torch.Tensor:
    """Raw bits, so NaN == NaN (float16 positions overflow to inf past 65504: cos(inf) is NaN)."""
    return t.contiguous().view({1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()])


FLOATS = [torch.float32, torch.float64, torch.bfloat16, torch.float16]
BUILDERS = {"simple": cos_sin_tables, "fast": perf.fast_cos_sin_tables}


@pytest.mark.parametrize("inv_dtype", FLOATS)
@pytest.mark.parametrize("out_dtype", FLOATS)
@pytest.mark.parametrize("position_scale", [None, 4.0])
@pytest.mark.parametrize("builder,in_place_from_bytes", [("simple", None), ("fast", None), ("fast", 0)],
                         ids=["simple", "fast-default", "fast-always-in-place"])
def test_builders_bitwise_identical_over_shapes_and_dtypes(inv_dtype, out_dtype, position_scale, builder,
                                                           in_place_from_bytes, monkeypatch):
    """Both builders, the fast one forced onto every row count its in-place spread treats
    differently: 1 and 2 rows, odd counts, chunk edges."""
    if in_place_from_bytes is not None:
        monkeypatch.setattr(perf, "IN_PLACE_MIN_BYTES", in_place_from_bytes)
    build = BUILDERS[builder]
    for dim in [2, 4, 6, 10, 64, 66]:
        inv = inv_freq_for_base(10000, dim).to(inv_dtype)
        for seq_len in [1, 2, 3, 4, 5, 7, 8, 9, 17, 31, 33, 255, 256, 257, 1000, 2049]:
            got = build(inv, seq_len, out_dtype, position_scale=position_scale)
            want = up.tables(inv, seq_len, out_dtype, divide_positions_by=position_scale)
            for f, s in zip(got, want):
                assert f.shape == s.shape == (seq_len, dim) and f.dtype == s.dtype == out_dtype
                assert torch.equal(_bits(f), _bits(s)), (dim, seq_len)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("builder", sorted(BUILDERS))
def test_builders_bitwise_identical_at_deepseek_scale(threads, builder):
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for dtype in [torch.float32, torch.float16]:
            inv = inv_freq_for_base(10000, 64).to(dtype)
            got, want = BUILDERS[builder](inv, 131072, dtype), up.tables(inv, 131072, dtype)
            assert all(torch.equal(_bits(f), _bits(s)) for f, s in zip(got, want))
    finally:
        torch.set_num_threads(previous)


def test_spread_second_half_in_place():
    for rows in [1, 2, 3, 5, 8, 33, 1000]:
        for half in [1, 3, 32]:
            table = torch.arange(rows * half, dtype=torch.float64).view(rows, half) + 1
            flat = torch.zeros(2 * rows * half, dtype=torch.float64)
            flat[rows * half:] = table.view(-1)
            perf.spread_second_half(flat, rows, half)
            assert torch.equal(flat.view(rows, 2 * half), torch.cat((table, table), dim=-1)), (rows, half)


def test_fast_builder_refuses_bad_input_like_the_simple_one():
    inv = inv_freq_for_base(10000, 8)
    for build in BUILDERS.values():
        with pytest.raises(ValueError, match="seq_len"):
            build(inv, 0, torch.float32)
        with pytest.raises(ValueError, match="position_scale"):
            build(inv, 4, torch.float32, position_scale=0.0)
        with pytest.raises(ValueError, match="GiB"):
            build(inv, 10**9, torch.float32)


def test_importing_the_package_loads_no_ctypes_library():
    code = (
        "import ctypes, sys\n"
        "import numpy, torch  # they load their own libraries; the spy watches what comes after\n"
        "loaded = []\n"
        "real = ctypes.CDLL.__init__\n"
        "def spy(self, *a, **k):\n"
        "    loaded.append(a[:1]); real(self, *a, **k)\n"
        "ctypes.CDLL.__init__ = spy\n"
        "import rope_course, rope_course.calls, rope_course.presets, rope_course.checks\n"
        "assert 'rope_course.perf' not in sys.modules, 'the fast builder is opt-in'\n"
        "import rope_course.perf\n"
        "assert loaded == [], loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
