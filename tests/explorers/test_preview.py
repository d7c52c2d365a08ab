import math

import numpy as np
import pytest

import rope_course as rc
from rope_course.explorers import REGISTRY
from rope_course.explorers.preview import PREVIEW_L, DynamicBasePreview, base_curve


def independent_base(seq_len, s, dim=64, L=4096, b=10000.0):
    """b' written out from the formula, not from the package."""
    if seq_len <= L:
        return b
    return b * (s * seq_len / L - (s - 1)) ** (dim / (dim - 2))


def test_registered():
    assert REGISTRY["preview"] is DynamicBasePreview


@pytest.mark.parametrize("seq_len,s", [(1, 1.0), (4096, 3.0), (4097, 1.0), (8192, 1.0), (8192, 2.0), (131072, 16.0)])
def test_compute_new_base_matches_package_and_formula(seq_len, s):
    r = DynamicBasePreview.compute(seq_len=seq_len, scaling_factor=s)
    assert r["new_base"] == rc.dynamic_ntk_base(10000, 64, seq_len, PREVIEW_L, s)
    assert math.isclose(r["new_base"], independent_base(seq_len, s), rel_tol=1e-12)
    assert r["seq_len"] == seq_len and r["scaling_factor"] == s


def test_worked_numbers():
    assert DynamicBasePreview.compute(seq_len=4096, scaling_factor=4.0)["new_base"] == 10000
    assert round(DynamicBasePreview.compute(seq_len=8192, scaling_factor=1.0)["new_base"], 1) == 20452.2
    assert round(DynamicBasePreview.compute(seq_len=8192, scaling_factor=2.0)["new_base"], 1) == 31082.2


def test_curve_flat_up_to_L_then_rising_and_growing_with_s():
    lengths, bases = base_curve(1.0)
    assert len(lengths) <= 512 and lengths[0] == 1 and lengths[-1] == 131072
    assert np.all(bases[lengths <= PREVIEW_L] == 10000)
    past = lengths > PREVIEW_L
    assert np.all(np.diff(bases[past]) > 0)
    _, bases4 = base_curve(4.0)
    assert np.all(bases4[past] > bases[past])
    np.testing.assert_allclose(bases, [independent_base(int(l), 1.0) for l in lengths], rtol=1e-12)


def test_readout_values():
    r = DynamicBasePreview.compute(seq_len=8192, scaling_factor=2.0)
    assert DynamicBasePreview.readout_values(r) == {"seq_len": 8192, "scaling_factor": 2.0, "new base": r["new_base"]}

