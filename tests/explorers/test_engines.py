import math

import pytest

from rope_course.explorers import REGISTRY
from rope_course.explorers.engines import ENGINE_BARS, EnginesExplorer, engine_bases


def closed_form(l, s, b=10000.0, dim=64, L=4096):
    return b * (1 + s * (l / L - 1)) ** (dim / (dim - 2)) if l > L else b


@pytest.mark.parametrize("seq_len,s,other",
                         [(1024, 2.0, 8192), (6000, 4.0, 256), (131072, 16.0, 131072), (256, 1.0, 4096)])
def test_bases_against_closed_forms(seq_len, s, other):
    bases = engine_bases(seq_len, s, other)
    assert bases["alone"] == pytest.approx(closed_form(seq_len, s), rel=1e-12)
    batched = closed_form(max(seq_len, other), s)
    assert bases["DeepSeek batched"] == bases["HF batched"] == pytest.approx(batched, rel=1e-12)
    assert bases["vLLM old"] == pytest.approx(10000 * (s * s - s + 1) ** (64 / 62), rel=1e-12)
    assert bases["vLLM fixed"] == pytest.approx(10000 * (4 * s - (s - 1)) ** (64 / 62), rel=1e-12)


def test_readout_names_every_bar():
    r = EnginesExplorer.compute(seq_len=1024, scaling_factor=2.0, other_len=8192)
    readout = EnginesExplorer.readout_values(r)
    assert list(readout) == [f"base {name}" for name in ENGINE_BARS]
    assert readout["base alone"] == 10000 and math.isclose(readout["base DeepSeek batched"], closed_form(8192, 2.0))


def test_registered_slider_names_and_png_changes():
    assert REGISTRY["engines"] is EnginesExplorer
    e = EnginesExplorer()
    assert set(e.controls) == {"seq_len", "scaling_factor", "other_len"}
    assert all(c.description == key for key, c in e.controls.items())
    assert max(e.controls["seq_len"].options) == 131072 and e.controls["scaling_factor"].max == 16.0
    pngs = [e.render_png()]
    for params in [dict(seq_len=131072), dict(scaling_factor=16.0), dict(other_len=256), dict(seq_len=256),
                   dict(scaling_factor=1.0), dict(other_len=131072)]:
        e.update(**params)
        pngs.append(e.render_png())
    assert all(a != b for a, b in zip(pngs, pngs[1:]))


def test_fast_redraw_matches_a_full_draw():
    e = EnginesExplorer()
    e.render_png()
    e.update(seq_len=6000, scaling_factor=4.0, other_len=32768)
    fast = e.render_png()
    fresh = EnginesExplorer(seq_len=6000, scaling_factor=4.0, other_len=32768)
    assert fast == fresh.render_png()
