import math

import pytest
import torch

from rope_course import DynamicNTKScalingRotaryEmbedding, dynamic_ntk_base
from rope_course.attention import first_never_turned_pair, s_min
from rope_course.toy.data import make_language_batch, make_recall_batch
from rope_course.toy.methods import (
    FIXED_FACTOR,
    MAIN_METHODS,
    METHODS,
    TOY_BETAS,
    V3_BETAS,
    RopeSpec,
    apply_spec,
    dynamic_factor,
    make_rotary,
    ntk_fixed_base,
    rope_spec,
    softmax_factor,
)
from rope_course.toy.model import ModelConfig, ToyTransformer, decode_logits
from rope_course.yarn import YarnRotaryEmbedding, yarn_find_correction_range

CFG = ModelConfig()
L, D, BASE = CFG.max_position_embeddings, CFG.head_dim, CFG.rope_base


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return ToyTransformer(CFG).eval()


@pytest.fixture(scope="module")
def language_model():
    torch.manual_seed(1)
    return ToyTransformer(ModelConfig(vocab_size=32, prev_token_embedding=False)).eval()


def test_the_previous_token_embedding_is_there_only_when_the_config_asks(model, language_model):
    assert language_model.prev_embed is None and model.prev_embed is not None
    assert "prev_embed.weight" not in language_model.state_dict()
    tokens = make_language_batch(2, 16, torch.Generator().manual_seed(0)).tokens
    with torch.no_grad():     # without it, the input is the token embedding alone
        assert torch.equal(language_model.embed_tokens(tokens), language_model.embed(tokens))
        shifted = model.embed_tokens(_tokens(16))
    assert torch.equal(shifted[:, 0], model.embed(_tokens(16))[:, 0])          # nothing before position 0
    assert not torch.equal(shifted[:, 1:], model.embed(_tokens(16))[:, 1:])


def _tokens(T, B=2, seed=0):
    return make_recall_batch(B, T, torch.Generator().manual_seed(seed)).tokens


def _out(model, spec, tokens):
    apply_spec(model, spec)
    with torch.no_grad():
        return model(tokens)


def _spec(method, T, s=None):
    return rope_spec(method, T, L, D, BASE, s)


def test_one_method_list_with_the_issue_s_design():
    assert tuple(METHODS)[:7] == ("none", "pi_fixed", "pi_dynamic", "ntk_fixed", "ntk_dynamic", "yarn_fixed",
                                  "yarn_dynamic")
    assert {"ntk_smin", "deepseek_class"} <= set(MAIN_METHODS) and not any("v3beta" in m for m in MAIN_METHODS)
    assert {m.mode for m in METHODS.values()} == {"none", "fixed", "dynamic", "smin", "stateful"}
    with pytest.raises(ValueError, match="method"):
        _spec("linear", 256)
    with pytest.raises(ValueError, match="family"):
        RopeSpec("ntk_fixed")


@pytest.mark.parametrize("T", [8, 64, L])
def test_inside_the_window_every_dynamic_method_is_plain_rope_bit_for_bit(model, T):
    tokens = _tokens(T)
    ref = _out(model, RopeSpec("none"), tokens)
    for method in ("pi_dynamic", "ntk_dynamic", "yarn_dynamic", "ntk_smin", "yarn_v3beta_dynamic"):
        for s in (None, 1.0, 4.0):
            if method == "ntk_smin" and s is not None:
                continue
            assert _spec(method, T, s) == RopeSpec("none")
    for spec in (RopeSpec("deepseek", 1.0), RopeSpec("deepseek", 4.0), RopeSpec("hf", 1.0), RopeSpec("pi", 1.0)):
        assert torch.equal(_out(model, spec, tokens), ref), spec


@pytest.mark.parametrize("method", ["pi_fixed", "ntk_fixed", "yarn_fixed", "yarn_v3beta_fixed"])
def test_fixed_methods_change_the_model_even_inside_the_window(model, method):
    tokens = _tokens(L)
    assert _spec(method, L).scaling_factor == FIXED_FACTOR
    assert not torch.allclose(_out(model, _spec(method, L), tokens), _out(model, RopeSpec("none"), tokens))


@pytest.mark.parametrize("T,s", [(2 * L, 1.0), (3 * L, 1.0), (8 * L, 1.0), (5 * L, 2.5), (7 * L, 3.0)])
def test_ntk_dynamic_is_what_a_fresh_deepseek_class_builds_at_that_length(model, T, s):
    spec = _spec("ntk_dynamic", T, s)
    module = make_rotary(spec, D, L, BASE)
    assert module.base == dynamic_ntk_base(BASE, D, T, L, s)          # same float, to the last bit
    fresh = DynamicNTKScalingRotaryEmbedding(D, L, BASE, scaling_factor=s)
    x = torch.zeros(1)
    assert all(torch.equal(a, b) for a, b in zip(module(x, seq_len=T), fresh(x, seq_len=T)))
    tokens = _tokens(T, B=1)
    assert torch.equal(_out(model, spec, tokens), _out(model, RopeSpec("deepseek", s), tokens))


def test_dynamic_factor_and_fixed_ntk_base():
    for T in (L + 8, 2 * L, 8 * L):
        for s in (1.0, 2.0, 7.5):
            assert dynamic_factor(T, L, s) == pytest.approx(1 + s * (T / L - 1), rel=1e-15)
    assert dynamic_factor(L, L, 5.0) == dynamic_factor(64, L, 1.0) == 1.0
    assert dynamic_factor(8 * L, L) == 8.0
    # the lowest pair is slowed by exactly s; pair 0 never moves
    for s in (1.5, 4.0, 8.0):
        b = ntk_fixed_base(BASE, D, s)
        assert b ** (-(D - 2) / D) == pytest.approx(BASE ** (-(D - 2) / D) / s, rel=1e-12)


def test_s_min_keeps_every_never_turned_pair_inside_its_trained_range():
    """lesson 06's bound, checked by brute force on the toy (D = 32, b = 100, L = 128)."""
    i_star = first_never_turned_pair(D, BASE, L)
    assert i_star == 11 and (L - 1) * BASE ** (-2 * (i_star - 1) / D) >= 2 * math.pi
    inv = BASE ** (-torch.arange(0, D, 2, dtype=torch.float64) / D)
    trained = (L - 1) * inv
    for T in (L + 8, 2 * L, 4 * L, 8 * L):
        smin = s_min(T, L, D, BASE)
        for s, inside in ((smin * (1 + 1e-9), True), (smin * (1 - 1e-6), False)):
            reached = (T - 1) * BASE ** (-torch.arange(0, D, 2, dtype=torch.float64) / D) \
                / dynamic_factor(T, L, s) ** (torch.arange(0, D, 2, dtype=torch.float64) / (D - 2))
            beyond = (reached[i_star:] > trained[i_star:]).any().item()
            assert beyond != inside, (T, s)
    assert round(s_min(4 * L, L, D, BASE), 2) == 1.89 and round(s_min(8 * L, L, D, BASE), 2) == 2.31
    with pytest.raises(ValueError, match="seq_len"):
        s_min(L, L, D, BASE)


def test_yarn_uses_the_toy_betas_or_v3_s_and_deepseeks_temperature(model):
    yarn = make_rotary(_spec("yarn_fixed", L), D, L, BASE)
    assert isinstance(yarn, YarnRotaryEmbedding)
    assert (yarn.original_max_position_embeddings, yarn.max_position_embeddings) == (L, 8 * L)
    assert (yarn.beta_fast, yarn.beta_slow) == TOY_BETAS and yarn.correction_range == (5, 11)
    v3 = make_rotary(_spec("yarn_v3beta_fixed", L), D, L, BASE)
    assert (v3.beta_fast, v3.beta_slow) == V3_BETAS and v3.correction_range == (0, 11)
    assert yarn_find_correction_range(32, 1, 64, 10000, 4096) == (10, 23)          # V3's own range
    assert yarn.cos_sin_scale == 1.0
    assert softmax_factor(_spec("yarn_dynamic", 4 * L)) == pytest.approx((1 + 0.1 * math.log(4)) ** 2)
    assert softmax_factor(_spec("ntk_fixed", L)) == 1.0
    apply_spec(model, _spec("yarn_fixed", L))
    assert model.blocks[0].attn.softmax_scale == pytest.approx(D ** -0.5 * (1 + 0.1 * math.log(8)) ** 2)
    apply_spec(model, RopeSpec("none"))
    assert model.blocks[0].attn.softmax_scale == pytest.approx(D ** -0.5)


def test_each_layer_gets_its_own_module_and_the_deepseek_class_remembers_history(model):
    apply_spec(model, RopeSpec("deepseek", 1.0))
    mods = [b.attn.rotary_emb for b in model.blocks]
    assert len({id(m) for m in mods}) == len(mods)
    short, ref = _tokens(64), _out(model, RopeSpec("none"), _tokens(64))
    apply_spec(model, RopeSpec("deepseek", 1.0))
    mods = [b.attn.rotary_emb for b in model.blocks]
    with torch.no_grad():
        model(_tokens(3 * L))
        after = model(short)
    assert [m.max_seq_len_cached for m in mods] == [3 * L] * len(mods)
    assert not torch.equal(after, ref)
    # Hugging Face's rule resets below L (strictly), but not at L
    for T, restored in ((64, True), (L, False)):
        apply_spec(model, RopeSpec("hf", 1.0))
        with torch.no_grad():
            model(_tokens(3 * L))
            got = model(_tokens(T))
        assert torch.equal(got, _out(model, RopeSpec("none"), _tokens(T))) == restored, T


@pytest.mark.parametrize("which", ["recall", "language"])
def test_decoding_with_plain_rope_equals_the_prefill_for_both_caches(model, language_model, which):
    net = model if which == "recall" else language_model
    tokens = _tokens(3 * L, B=2) if which == "recall" else make_language_batch(2, 3 * L, torch.Generator()).tokens
    apply_spec(net, RopeSpec("none"))
    with torch.no_grad():
        prefill = net(tokens)
    for keys in ("post", "pre"):
        apply_spec(net, RopeSpec("none"))
        assert torch.allclose(decode_logits(net, tokens, 2 * L, keys), prefill, atol=2e-5), keys


def test_deepseek_class_decoding_pre_rope_equals_prefix_prefills_in_one_layer_and_post_rope_does_not():
    """With one layer, re-rotating pre-RoPE keys gives the model at its current length (a fresh
    prefill of t+1 tokens). With more layers it cannot: deeper layers' cached keys and values were
    computed from hidden states of earlier steps, under earlier bases (lesson 10 measures that case)."""
    torch.manual_seed(3)
    one_layer = ToyTransformer(ModelConfig(n_layers=1)).eval()
    T, start = 2 * L, L + 16
    tokens = _tokens(T, B=2)
    logits = {}
    for keys in ("post", "pre"):
        apply_spec(one_layer, RopeSpec("deepseek", 1.0))
        logits[keys] = decode_logits(one_layer, tokens, start, keys)
    for t in (start, start + 5, T - 1):
        ref = _out(one_layer, RopeSpec("deepseek", 1.0), tokens[:, : t + 1])[:, -1]
        assert torch.allclose(logits["pre"][:, t], ref, atol=2e-5), t
    assert (logits["post"][:, T - 1] - logits["pre"][:, T - 1]).abs().max() > 1e-4
    with pytest.raises(ValueError, match="keys"):
        decode_logits(one_layer, tokens, start, "both")
