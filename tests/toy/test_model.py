import math

import pytest
import torch

from rope_course import DynamicNTKScalingRotaryEmbedding, dynamic_ntk_base
from rope_course.toy.data import TaskSpec, make_batch
from rope_course.toy.model import (
    ModelConfig,
    RopeSpec,
    StatelessDynamicNTKRotaryEmbedding,
    ToyTransformer,
    make_rotary,
    ntk_fixed_base,
    softmax_temperature,
)
from rope_course.yarn import YarnRotaryEmbedding

CFG = ModelConfig()
L = CFG.max_position_embeddings


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return ToyTransformer(CFG).eval()


def _tokens(T, B=2, seed=0):
    return make_batch(B, T, torch.Generator().manual_seed(seed)).tokens


def _out(model, spec, tokens):
    model.set_rope(spec)
    with torch.no_grad():
        return model(tokens)


@pytest.mark.parametrize("T", [8, 64, L])
def test_at_or_below_L_dynamic_variants_and_linear_s1_are_bit_identical_to_no_scaling(model, T):
    """What is tested exactly: for T <= L, 'dynamic' (faithful, fresh), 'dynamic_stateless' (any
    s) and 'linear' with s = 1 produce exactly (torch.equal) the no-scaling logits."""
    tokens = _tokens(T)
    ref = _out(model, RopeSpec("none"), tokens)
    for spec in [RopeSpec("dynamic", 1.0), RopeSpec("dynamic", 4.0), RopeSpec("dynamic_stateless", 1.0),
                 RopeSpec("dynamic_stateless", 8.0), RopeSpec("linear", 1.0)]:
        assert torch.equal(_out(model, spec, tokens), ref), spec


@pytest.mark.parametrize("spec", [RopeSpec("linear", 2.0), RopeSpec("ntk_fixed", 8.0), RopeSpec("yarn", 8.0)])
def test_fixed_factor_variants_change_outputs_even_within_L(model, spec):
    tokens = _tokens(L)
    assert not torch.allclose(_out(model, spec, tokens), _out(model, RopeSpec("none"), tokens))


def test_past_L_stateless_equals_a_fresh_faithful_module_and_differs_from_none(model):
    tokens = _tokens(2 * L)
    fresh = _out(model, RopeSpec("dynamic", 1.0), tokens)
    stateless = _out(model, RopeSpec("dynamic_stateless", 1.0), tokens)
    assert torch.equal(fresh, stateless)
    assert not torch.allclose(fresh, _out(model, RopeSpec("none"), tokens))


def test_faithful_class_remembers_a_long_call_and_stateless_does_not(model):
    short, long = _tokens(64), _tokens(4 * L)
    ref = _out(model, RopeSpec("none"), short)
    for kind, should_differ in [("dynamic", True), ("dynamic_stateless", False)]:
        model.set_rope(RopeSpec(kind, 1.0))
        with torch.no_grad():
            model(long)
            after = model(short)
        assert (not torch.equal(after, ref)) == should_differ, kind


def test_each_layer_gets_its_own_rotary_module_with_its_own_state(model):
    model.set_rope(RopeSpec("dynamic", 1.0))
    mods = [b.attn.rotary_emb for b in model.blocks]
    assert len({id(m) for m in mods}) == len(mods)
    assert all(isinstance(m, DynamicNTKScalingRotaryEmbedding) for m in mods)
    with torch.no_grad():
        model(_tokens(3 * L))
    assert [m.max_seq_len_cached for m in mods] == [3 * L] * len(mods)


def test_stateless_module_uses_the_per_call_dynamic_base():
    m = StatelessDynamicNTKRotaryEmbedding(32, L, 100.0, 2.0)
    x = torch.zeros(1)
    for T in [L, 3 * L, 2 * L]:
        cos, _ = m(x, seq_len=T)
        b = dynamic_ntk_base(100.0, 32, T, L, 2.0)
        inv = b ** (-torch.arange(0, 32, 2).float() / 32)
        assert torch.allclose(cos[T - 1, :16], torch.cos((T - 1) * inv), atol=1e-4)


def test_make_rotary_builds_the_named_classes_with_the_right_parameters():
    s = 8.0
    ntk = make_rotary(RopeSpec("ntk_fixed", s), 32, L, 100.0)
    assert ntk.base == pytest.approx(100.0 * s ** (32 / 30))
    assert ntk_fixed_base(100.0, 32, s) == pytest.approx(100.0 * s ** (32 / 30))
    yarn = make_rotary(RopeSpec("yarn", s), 32, L, 100.0)
    assert isinstance(yarn, YarnRotaryEmbedding)
    assert (yarn.original_max_position_embeddings, yarn.max_position_embeddings) == (L, 8 * L)
    assert yarn.cos_sin_scale == 1.0          # temperature goes to the softmax instead
    assert softmax_temperature(RopeSpec("yarn", s)) == pytest.approx((1 + 0.1 * math.log(s)) ** 2)
    assert softmax_temperature(RopeSpec("ntk_fixed", s)) == 1.0
    with pytest.raises(ValueError, match="kind"):
        RopeSpec("ntk")


def test_yarn_temperature_reaches_the_attention(model):
    model.set_rope(RopeSpec("yarn", 4.0))
    hd = CFG.head_dim
    assert model.blocks[0].attn.softmax_scale == pytest.approx(hd ** -0.5 * (1 + 0.1 * math.log(4.0)) ** 2)
    model.set_rope(RopeSpec("none"))
    assert model.blocks[0].attn.softmax_scale == pytest.approx(hd ** -0.5)
