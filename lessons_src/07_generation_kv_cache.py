# %% [markdown]
# # 07 · Generation with a KV cache: stale bases, and caching before RoPE
#
# While a model generates, each step feeds one new token and reuses the keys and values of the
# earlier tokens from a cache. DeepSeek-V3's attention caches the keys **after** rotating them
# (upstream-rope-facts §1.5, step 5). With a fixed base that is harmless. With dynamic NTK the
# base changes at every step past L, and the cached keys keep the base of the step that wrote
# them. This lesson measures what that does, on a tiny attention in the package.
#
# **Learning goals**
#
# 1. Read the package's tiny causal attention and see it call the rotary module exactly as
#    `DeepseekV3Attention` does: `cos, sin = rotary(value_states, seq_len=kv_seq_len)` with
#    kv_seq_len = past + new, then `apply_rotary_pos_emb(q, k, cos, sin, position_ids)`.
# 2. Print the base at every decoding step past L, and count the table rebuilds (one per call).
# 3. Read a stale angle back out of the cache.
# 4. Measure how far token-by-token decoding is from one prefill when keys are cached after RoPE,
#    and show that caching them before RoPE (YaRN paper §3.3) removes the gap, at a price.
#
# The seed corrected here: lesson 4.3.2's tasks answer "consistent in generation? Yes" (facts
# §7.2, item 7), and 4.3.3 says "no additional cost" (item 11).

# %%
import inspect

import torch

import rope_course as rc
from rope_course.attention import (
    KVCache, TinyCausalAttention, causal_attention, decode, make_attention, prefill, prefix_reference,
)

D, L, S, BASE = 64, 16, 2.0, 10000.0   # rope dims, trained window, scaling factor, base
PREFILL, STEPS = 16, 8
torch.manual_seed(0)
hidden = torch.randn(1, PREFILL + STEPS, 32)   # 24 tokens' hidden states, hidden size 32
print(f"D = {D}, L = {L}, s = {S}, prefill {PREFILL} then {STEPS} one-token steps")

# %% [markdown]
# ## 1. The tiny attention
#
# `TinyCausalAttention` has seeded q/k/v projections (2 heads, every head dim is a rope dim,
# D = 64) and no output projection. Its `forward` follows upstream's order; with
# `cache_keys="post"` it caches the rotated keys (upstream), with `cache_keys="pre"` the raw ones,
# which it re-rotates with the current table at every call.

# %%
print(inspect.getsource(TinyCausalAttention.forward))

# %% [markdown]
# The causal mask lets a query at absolute position p see keys 0 … p. Check `causal_attention`
# against a plain loop over queries, with a past of 5 positions:

# %%
g = torch.Generator().manual_seed(2)
qq, kk, vv = (torch.randn(1, 2, n, 8, generator=g) for n in (3, 8, 8))
fast = causal_attention(qq, kk, vv, past_len=5, softmax_scale=8 ** -0.5)
slow = torch.empty_like(fast)
for i in range(3):
    p = 5 + i                                              # the query's absolute position
    w = torch.softmax((qq[..., i:i + 1, :] @ kk[..., : p + 1, :].transpose(-1, -2)) * 8 ** -0.5, dim=-1)
    slow[..., i:i + 1, :] = w @ vv[..., : p + 1, :]     # only keys 0 .. p take part
print("mask matches the loop:", torch.allclose(fast, slow, atol=1e-6))
assert torch.allclose(fast, slow, atol=1e-6)

# %% [markdown]
# ## 2. Decoding past L: the base moves every step
#
# Prefill 16 tokens (= L), then feed 8 tokens one at a time, caching keys after RoPE. The loop is
# written out so that the cache stays in our hands.

# %%
post = make_attention("dynamic", "post", dim=D, max_position_embeddings=L, scaling_factor=S, base=BASE)
cache_post = KVCache()
outs = [post(hidden[:, :PREFILL], cache_post)]
for t in range(PREFILL, PREFILL + STEPS):
    outs.append(post(hidden[:, t:t + 1], cache_post))
decoded_post = torch.cat(outs, dim=1)

print(" call  kv_seq_len  rebuilt   base in force")
for n, entry in enumerate(post.log):
    print(f"{n:5d}  {entry['kv_seq_len']:10d}  {entry['rebuilt']!s:7}  {entry['base']:12.1f}")
bases = [e["base"] for e in post.log]
rebuilds = sum(e["rebuilt"] for e in post.log)
print(f"rebuilds: {rebuilds} in {len(post.log)} calls")
assert round(bases[1], 1) == 11292.8 and round(bases[-1], 1) == 20452.2
assert rebuilds == len(post.log) == 1 + STEPS
assert torch.equal(post.rotary_emb.inv_freq, rc.inv_freq_for_base(bases[-1], D))

# %% [markdown]
# Every call rebuilds the table (the module caches exactly `kv_seq_len` rows, and the next call
# asks for one more: lesson 03), and every call past L brings a new base b'(l) =
# b·(s·l/L - (s - 1))^(D/(D-2)): from 11292.8 at l = 17 to 20452.2 at l = 24 (facts §2.4). The
# new token's q and k are rotated with that base; the keys already in the cache are not touched.
# So growing one token at a time, which the seed (lesson 4.3.1) calls the best case for this
# class, is its worst: a full rebuild and a new base at every step (facts §7.2, items 10-11).
#
# ## 3. A stale key, read back from the cache
#
# The key at position 16 was written by the call with kv_seq_len = 17, with base 11292.8. Under
# the final base it would be rotated less. We read its angle straight out of the cache: in the
# de-interleaved layout the lowest pair (i = 31) is components 31 and 63, and the angle is the
# turn from the raw key to the cached one.

# %%
raw_keys = (hidden @ post.k_proj.T).view(1, -1, 2, D).transpose(1, 2)   # unrotated keys, all positions
raw = rc.deinterleave(raw_keys[0, 0, 16])
cached = cache_post.keys[0, 0, 16]
angle_cached = (torch.atan2(cached[63], cached[31]) - torch.atan2(raw[63], raw[31])).item()
theta_last = lambda b: b ** (-(D - 2) / D)
angle_then = 16 * theta_last(bases[1])
angle_final = 16 * theta_last(bases[-1])
print(f"angle in the cache (read back):    {angle_cached:.5f}  (float32 atan2, 5 decimals)")
print(f"16 * theta_31 with base 11292.8:   {angle_then:.6f}")
print(f"16 * theta_31 with base 20452.2:   {angle_final:.6f}  (what a consistent key would have)")
assert abs(angle_cached - angle_then) < 2e-6
assert round(angle_then, 6) == 0.001897 and round(angle_final, 6) == 0.001067

# %% [markdown]
# The cached key carries 0.001897 rad on its lowest pair; a key rotated with the current base
# would carry 0.001067. Each cached key past L has its own base, so the angle between the newest
# query and an old key is no longer (m - n)θ_i for one θ_i: it is not a function of the distance
# alone (facts §2.4). The table of all keys written by decoding steps:

# %%
print(" key  base when cached   lowest-pair angle then   under the final base")
for p in range(14, PREFILL + STEPS):
    b_then = bases[0] if p < PREFILL else bases[p - PREFILL + 1]
    print(f"{p:4d}  {b_then:16.1f}   {p * theta_last(b_then):22.6f}   {p * theta_last(bases[-1]):20.6f}")

# %% [markdown]
# ## 4. Token by token against one prefill
#
# A prefill of all 24 tokens rotates every key and query with b'(24). The last token's output
# should be the same whichever way we got there, if caching were harmless.

# %%
one_shot_post = prefill(make_attention("dynamic", "post", D, L, S, BASE), hidden)
gap_last = (decoded_post[:, -1] - one_shot_post[:, -1]).abs().max().item()
print(f"post-RoPE cache: max |decode - prefill| on the last token: {gap_last:.4f}")
assert round(gap_last, 3) == 0.055 and gap_last > 1e-2

# %% [markdown]
# For every earlier token the fair comparison is a fresh one-shot prefill of exactly its prefix
# (dynamic NTK's own definition: the base of the current length, applied to every position).
# `prefix_reference` builds that, one fresh module per prefix, so no history leaks in.

# %%
reference = prefix_reference(lambda: make_attention("dynamic", "post", D, L, S, BASE), hidden)
per_token_post = (decoded_post - reference).abs().amax(dim=(0, 2))
print("post-RoPE, max |diff| per token position:")
print("  prefill part (0-15): below 1e-5:", bool(per_token_post[:PREFILL].max() < 1e-5))
print("  decoded 16-23:      ", " ".join(f"{v:.4f}" for v in per_token_post[PREFILL:].tolist()))
worst_post = per_token_post.max().item()
typical = reference[:, PREFILL:].abs().mean().item()
print(f"worst: {worst_post:.4f};  mean |output component| of the decoded tokens: {typical:.2f}")
assert per_token_post[:PREFILL].max() < 1e-5
assert round(worst_post, 3) == 0.158 and round(typical, 2) == 0.33

# %% [markdown]
# Up to L the two agree to float rounding (no base change); from the first step past L on they
# disagree, by up to 0.158, about half the mean size (0.33) of an output component. This is
# huggingface/transformers **#25104** ("Inconsistent Rotation Base for Dynamic NTK Scaling RoPE"), and bloc97 had noted it
# while the scaling was being added in **PR #24653**: only the rotated k is cached, so dynamic
# scaling is not applied correctly to cached keys; "the correct way would be to cache k_proj
# before applying the RoPE embeddings".
#
# ## 5. The fix: cache keys before RoPE
#
# The YaRN paper (§3.3) says it plainly: cache the kv-embeddings before applying RoPE, because the
# rotation of every token changes when the scale changes. `cache_keys="pre"` does that.

# %%
pre = make_attention("dynamic", "pre", D, L, S, BASE)
decoded_pre = decode(pre, hidden, PREFILL)
per_token_pre = (decoded_pre - reference).abs().amax(dim=(0, 2))
worst_pre = per_token_pre.max().item()
print("pre-RoPE cache: max |decode - prefix prefill| over all 24 tokens below 1e-5:", worst_pre < 1e-5)
print("same bases per step as before:", [round(e["base"], 1) for e in pre.log] == [round(b, 1) for b in bases])
assert worst_pre < 1e-5
assert [e["base"] for e in pre.log] == bases

# %% [markdown]
# Token-by-token decoding now equals the one-shot prefill to float tolerance (the remaining
# ~1e-6 comes from matrix products of different shapes).
#
# **With standard RoPE the choice does not matter**: the table never changes, so a key rotated
# when it was cached is bit-for-bit the key a re-rotation would give.

# %%
std_post = decode(make_attention("standard", "post", D, L, S, BASE), hidden, PREFILL)
std_pre_attn = make_attention("standard", "pre", D, L, S, BASE)
std_pre = decode(std_pre_attn, hidden, PREFILL)
print("standard RoPE, post vs pre caching identical (torch.equal):", torch.equal(std_post, std_pre))
print("standard RoPE rebuilds:", sum(e["rebuilt"] for e in std_pre_attn.log), "in", len(std_pre_attn.log), "calls")
assert torch.equal(std_post, std_pre)

# %% [markdown]
# ## 6. The price
#
# Pre-RoPE caching re-rotates every cached key at every step, instead of one new key. Count the
# key rows rotated while generating from 16 to 24 tokens, and what that becomes at realistic
# lengths (prefill 4096, generate to 8192):

# %%
def rotated_rows(prefill_len, total, mode):
    if mode == "post":
        return total                                        # each key once
    return sum(range(prefill_len, total + 1))               # all keys, every call


for p_len, total in [(PREFILL, PREFILL + STEPS), (4096, 8192)]:
    a, b = rotated_rows(p_len, total, "post"), rotated_rows(p_len, total, "pre")
    print(f"prefill {p_len}, generate to {total}: post {a} rows, pre {b} rows ({b / a:.0f}x)")
assert rotated_rows(PREFILL, PREFILL + STEPS, "pre") == 180 and rotated_rows(4096, 8192, "pre") == 25171968

# %% [markdown]
# That quadratic work (and the extra memory traffic of rotating the whole cache each step) is
# why Hugging Face kept post-RoPE caching: in **PR #27227** gante said the fixes would
# "massively decrease the inference speed". NormXU's patch for #25104
# (NormXU/Consistent-DynamicNTKRoPE) caches pre-RoPE keys and posted timing tables. bloc97 also
# reported that models "work without problems" in practice despite the mismatch (PR #24653).
# Other engines sidestep the question: vLLM's dynamic class computes one static base for
# L·s (vllm-project/vllm #3488, #5093).
#
# ## 7. Explorer: how stale is the cache at realistic lengths?
#
# D = 64, b = 10⁴, L = 4096: a prefill of min(`seq_len`, L) tokens, then one token per step up to
# `seq_len`, keys cached after RoPE. Each curve is, for one pair, the rotation between a cached key
# and the key the final base would give (wrapped into [0, π]; dotted line: π, i.e. completely
# wrong). Even the prefill keys (left of the dashed line) are stale: they were rotated with b.
# The readout counts the table rebuilds, one per call.
#
# At the explorer's start (`seq_len` 8192, s = 1) the worst lowest-pair error sits at the last
# prefill key, p = 4095, rotated with b = 10⁴ while the final base is 20452.2:

# %%
from rope_course.explorers.attention import KVDriftExplorer, kv_drift

b_final = rc.dynamic_ntk_base(BASE, D, 8192, 4096, 1.0)
err_4095 = 4095 * (BASE ** (-(D - 2) / D) - b_final ** (-(D - 2) / D))
sampled = kv_drift(8192, 1.0)
print(f"final base {b_final:.1f}; lowest-pair error of key 4095: {err_4095:.4f} rad")
print(f"explorer (384 sampled keys): lowest pair {sampled['max_error_lowest']:.4f} rad, "
      f"pairs 16/23/31 up to {sampled['max_error']:.2f} rad (pi = {torch.pi:.2f}); rebuilds {sampled['rebuilds']}")
assert round(err_4095, 2) == 0.27 and abs(sampled["max_error_lowest"] - err_4095) < 0.01
assert sampled["max_error"] > 3.0 and sampled["rebuilds"] == 4097

# %% [markdown]
# A quarter of a radian on the slowest pair, and pair 16 scrambled completely (its stale angle is
# almost π away from a consistent one) for some keys: at realistic lengths the mismatch is not a
# rounding effect. How much it hurts a trained model is another question (bloc97's "works without
# problems"; lesson 10).

# %%
explorer = KVDriftExplorer()
explorer.show()

# %% [markdown]
# ## Summary
#
# * The attention calls the rotary module with kv_seq_len = past + new and picks rows with
#   absolute positions; the table is rebuilt at every call (9 rebuilds for 9 calls here).
# * Past L, dynamic NTK changes the base at every decoding step (11292.8 → 20452.2 for
#   l = 17 … 24, D = 64, L = 16, s = 2); keys cached after RoPE keep their own step's base (the
#   key at 16: 0.001897 rad on its lowest pair instead of 0.001067).
# * So decoding and prefill disagree: 0.055 on the last token, up to 0.158 over the decoded tokens
#   (HF #25104; bloc97 in PR #24653). The seed's "consistent in generation" is wrong.
# * Caching keys before RoPE and re-rotating them with the current table (YaRN §3.3) makes decoding
#   equal the one-shot prefill (< 1e-5), at the cost of rotating all cached keys every step;
#   Hugging Face declined it for speed (gante, PR #27227). With standard RoPE both caches give
#   identical outputs.
#
# ## Exercises
#
# Solutions: `lessons/solutions/07_generation_kv_cache.ipynb`.
#
# **Exercise 1.** `cached_key_base(position, prefill_len, dim, base, max_position_embeddings,
# scaling_factor)`: with a fresh dynamic module, a prefill of `prefill_len` tokens and then one
# token per step, caching after RoPE: the base the key at `position` was rotated with.

# %%
from rope_course.checks.lesson07 import check_cached_key_base, check_rerotate_keys, check_stale_angle


def cached_key_base(position, prefill_len, dim, base, max_position_embeddings, scaling_factor):
    raise NotImplementedError


result = check_cached_key_base(cached_key_base)

# %% [markdown]
# **Exercise 2.** `rerotate_keys(raw_keys, cos, sin)`: the pre-RoPE fix. `raw_keys` has shape
# (batch, heads, t, D) and holds unrotated keys for positions 0 … t-1; `cos`, `sin` are the current
# tables (at least t rows). Return the keys rotated for their positions, in the layout
# `rc.apply_rotary_pos_emb` produces.

# %%
def rerotate_keys(raw_keys, cos, sin):
    raise NotImplementedError


result = check_rerotate_keys(rerotate_keys)

# %% [markdown]
# **Exercise 3.** `stale_angle(position, prefill_len, seq_len, dim, base, max_position_embeddings,
# scaling_factor)`: after decoding up to `seq_len` as in exercise 1, return the pair
# (lowest-pair angle of the key at `position` as cached, the same angle under the final base).

# %%
def stale_angle(position, prefill_len, seq_len, dim, base, max_position_embeddings, scaling_factor):
    raise NotImplementedError


result = check_stale_angle(stale_angle)
