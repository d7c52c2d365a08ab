# %% [markdown]
# # 07 · Generation with a KV cache: stale bases, and caching before RoPE
#
# While a model generates, each step feeds one new token and reuses the keys and values of the
# earlier tokens from a cache. DeepSeek-V3's attention caches the keys **after** rotating them
# ([upstream-attention](../SOURCES.md#upstream-attention)). With a fixed base that is harmless.
# With dynamic NTK the base changes at every step past L, and the cached keys keep the base of
# the step that wrote them. This lesson measures what that does, on a tiny attention in the
# package.
#
# **Learning goals**
#
# 1. Read the package's tiny causal attention and see it call the rotary module exactly as
#    `DeepseekV3Attention` does: `cos, sin = rotary(value_states, seq_len=kv_seq_len)` with
#    kv_seq_len = past + new, then `apply_rotary_pos_emb(q, k, cos, sin, position_ids)`.
# 2. Print the base at every decoding step past L, and count the table rebuilds (one per call).
# 3. Read a stale angle back out of the cache, and watch every cached key's base and angle error
#    step by step in the generation inspector.
# 4. Measure how far token-by-token decoding is from a fresh prefill of the same tokens when keys
#    are cached after RoPE, against how far dynamic NTK moves the output at all; show that caching
#    keys before RoPE ([paper-yarn-3-3](../SOURCES.md#paper-yarn-3-3)) removes the gap in one
#    attention layer, why it cannot in a stack of layers, and what it costs.
#
# The seed corrected here: lesson 4.3.2's tasks answer "For multiple calls, consistent? (Yes,
# since seq increasing in generation.)" ([seed-4-3-2](../SOURCES.md#seed-4-3-2)), and 4.3.3
# says "No Additional Cost" ([seed-4-3-3](../SOURCES.md#seed-4-3-3)).

# %%
import inspect

import torch

import rope_course as rc
from rope_course.attention import (
    KVCache,
    TinyCausalAttention,
    causal_attention,
    decode,
    make_attention,
    prefill,
    prefix_reference,
    stale_angle_errors,
)

torch.set_num_threads(1)   # the tensors here are tiny: one thread is the fastest, and the same everywhere
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
# b·(s·l/L - (s - 1))^(D/(D-2)): from 11292.8 at l = 17 to 20452.2 at l = 24
# ([upstream-dynamic-cache](../SOURCES.md#upstream-dynamic-cache)). The new token's q and k are
# rotated with that base; the keys already in the cache are not touched. So growing one token at
# a time, which the seed (lesson 4.3.1, [seed-4-3-1](../SOURCES.md#seed-4-3-1)) calls the best
# case for this class, is its worst: a full rebuild and a new base at every step.
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
theta_last = lambda b: b ** (-(D - 2) / D)  # noqa: E731
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
# alone ([HF #25104](../SOURCES.md#hf-25104)). The table of the keys around L:

# %%
print(" key  base when cached   lowest-pair angle then   under the final base")
for p in range(14, PREFILL + STEPS):
    b_then = bases[0] if p < PREFILL else bases[p - PREFILL + 1]
    print(f"{p:4d}  {b_then:16.1f}   {p * theta_last(b_then):22.6f}   {p * theta_last(bases[-1]):20.6f}")

# %% [markdown]
# ## 4. The generation inspector
#
# The same tiny setting (D = 64, b = 10⁴, L = 16), with a prefill of 12 tokens so that the first
# steps stay inside the window, then one token per step. The `step` slider runs the decode loop
# that far. Top: every cached key's base, as its height and its colour (black: the original
# base b; vermillion: an older dynamic base; blue: the base now in force), against the dashed
# line, the base now in force, which a fresh prefill of the same tokens would use for every key.
# Bottom: each key's angle error against that fresh prefill, the largest over its 32 pairs of
# the rotation between the cached key and the consistent one.
#
# Watch three things: nothing happens until kv_seq_len passes L (step 5); from then on only the
# newest key is consistent; and the worst key is the last one rotated with b (position 15),
# whose error grows at every step. That last one holds from s = 1.25 up at every step; at s = 1
# the first decoded keys overtake key 15 from step 33 on. The inspector's numbers are checked
# against a real cache, and the worst key at every step and every slider value of s, in
# `tests/explorers/test_generation.py`.

# %%
from rope_course.explorers.generation import GenerationInspector, generation_state

state = generation_state(8, S)
print(f"step 8: kv_seq_len {state['kv_seq_len']}, base now {state['base_now']:.1f}, "
      f"{state['distinct_bases']} distinct bases, worst key {state['max_error_key']} "
      f"({state['max_error']:.3f} rad, pair {state['worst_pair'][state['max_error_key']]})")
assert [generation_state(step, S)["stale_keys"] for step in (0, 4, 5)] == [0, 0, 16]
assert state["max_error_key"] == 15 and round(state["max_error"], 3) == 0.243
worst_key = {(s_, step): generation_state(step, s_)["max_error_key"]
             for s_ in (1.0, 1.25, 2.0, 4.0, 8.0, 16.0) for step in range(5, 37)}
overtaken = sorted(step for (s_, step), key in worst_key.items() if key != 15)
print("steps where key 15 is not the worst:", {s_: [st for (s2, st), k in worst_key.items() if s2 == s_ and k != 15]
                                              for s_ in (1.0, 1.25, 2.0)})
assert all(key == 15 for (s_, step), key in worst_key.items() if s_ >= 1.25)
assert overtaken == [33, 34, 35, 36]

inspector = GenerationInspector()
inspector.show()

# %% [markdown]
# ## 5. Token by token against a fresh prefill
#
# For every token the fair comparison is a fresh one-shot prefill of exactly its prefix (dynamic
# NTK's own definition: the base of the current length, applied to every position).
# `prefix_reference` builds that, one fresh module per prefix, so no history leaks in. Two
# numbers per decoded token, both relative norms of the token's output vector (2 heads × 64):
#
# * the **stale-key error**, |decode - prefix prefill| / |prefix prefill|: what caching keys
#   after RoPE costs;
# * the **whole dynamic NTK change**, |prefix prefill (dynamic) - prefix prefill (standard)| /
#   |prefix prefill (standard)|: how far dynamic NTK moves the output at all.

# %%
def relative_gap(a, b):
    """Per token: the norm of a - b over the output vector, relative to the norm of b."""
    return ((a - b).norm(dim=-1) / b.norm(dim=-1))[0]


reference = prefix_reference(lambda: make_attention("dynamic", "post", D, L, S, BASE), hidden)
standard = prefix_reference(lambda: make_attention("standard", "post", D, L, S, BASE), hidden)
stale = relative_gap(decoded_post, reference)
whole = relative_gap(reference, standard)
print("token   stale-key error   whole dynamic-vs-standard change")
for t in range(PREFILL, PREFILL + STEPS):
    print(f"{t:5d}   {stale[t]:15.1%}   {whole[t]:32.1%}")
print("prefill part (0-15) below 1e-6 for both:", bool(stale[:PREFILL].max() < 1e-6 and whole[:PREFILL].max() < 1e-6))
decoded = slice(PREFILL, None)
assert stale[:PREFILL].max() < 1e-6 and whole[:PREFILL].max() < 1e-6
assert (round(stale[decoded].min().item(), 3), round(stale[decoded].max().item(), 3)) == (0.022, 0.091)
assert (round(whole[decoded].min().item(), 3), round(whole[decoded].max().item(), 3)) == (0.021, 0.146)

# %% [markdown]
# Up to L the two paths agree to float rounding (no base change). Past L, in this setting (D = 64,
# L = 16, s = 2, two heads with seeded random projections, a prefill of 16 and 8 steps), the
# stale-key error is 2.2-9.1 % per decoded token, and dynamic NTK itself moves the output by
# 2.1-14.6 %: **the same order**. Here a post-RoPE cache does not add a rounding error on top of
# dynamic NTK; it moves the output about as much as dynamic NTK itself does. Over the explorer's
# range of s:

# %%
S_VALUES = (1.0, 2.0, 4.0, 8.0, 16.0)


def stale_and_whole(s_, hidden_states, seed=0):
    """Per decoded token: the stale-key error and the whole dynamic NTK change, as above, for the
    tiny attention whose weights come from `seed`."""
    def make(kind):
        return make_attention(kind, "post", D, L, s_, BASE, seed=seed)
    dec = decode(make("dynamic"), hidden_states, PREFILL)
    ref = prefix_reference(lambda: make("dynamic"), hidden_states)
    std = prefix_reference(lambda: make("standard"), hidden_states)
    return relative_gap(dec, ref)[decoded], relative_gap(ref, std)[decoded]


print("   s    stale-key error   whole change    median stale / whole")
ratios = {}
for s_ in S_VALUES:
    st_, wh_ = stale_and_whole(s_, hidden)
    ratios[s_] = (st_ / wh_).median().item()
    print(f"{s_:4g}    {st_.min():5.1%} - {st_.max():5.1%}   {wh_.min():5.1%} - {wh_.max():5.1%}   {ratios[s_]:10.2f}")
assert [round(v, 2) for v in ratios.values()] == [0.93, 0.87, 0.76, 0.80, 1.05]

# %% [markdown]
# One draw of weights and hidden states is one example. The same median ratios for four more
# draws (the attention's weights and the 24 hidden states from seeds 1-4):

# %%
medians = {}
for seed in (1, 2, 3, 4):
    hidden_seed = torch.randn(1, PREFILL + STEPS, 32, generator=torch.Generator().manual_seed(seed))
    medians[seed] = [(lambda st_, wh_: (st_ / wh_).median().item())(*stale_and_whole(s_, hidden_seed, seed))
                     for s_ in S_VALUES]
    print(f"seed {seed}: " + "  ".join(f"s = {s_:g}: {v:.2f}" for s_, v in zip(S_VALUES, medians[seed])))
every_median = list(ratios.values()) + [v for row in medians.values() for v in row]
print(f"all {len(every_median)} medians between {min(every_median):.2f} and {max(every_median):.2f}")
assert (round(min(every_median), 2), round(max(every_median), 2)) == (0.58, 1.05)

# %% [markdown]
# Over 5 draws and 5 factors the median ratio stays between 0.58 and 1.05: in this tiny attention
# the stale keys cost about as much as the whole change dynamic NTK makes, at every s tried. (It
# is a statement about one random attention layer's output vectors, not about a trained model's
# predictions; section 6 ends with those.) This is huggingface/transformers
# [#25104](../SOURCES.md#hf-25104) ("Inconsistent Rotation Base for Dynamic NTK Scaling RoPE"),
# and bloc97 had noted it while the scaling was being added
# ([PR #24653](../SOURCES.md#hf-24653)): only the rotated k is cached, so dynamic scaling is not
# applied correctly to cached keys; the reply quoting him adds that the correct way would be to
# cache `k_proj` before applying RoPE.
#
# ## 6. The fix: cache keys before RoPE
#
# The YaRN paper ([paper-yarn-3-3](../SOURCES.md#paper-yarn-3-3)) says it plainly: cache the
# kv-embeddings before applying RoPE, because the rotation of every token changes when the scale
# changes. `cache_keys="pre"` does that.

# %%
pre = make_attention("dynamic", "pre", D, L, S, BASE)
decoded_pre = decode(pre, hidden, PREFILL)
worst_pre = relative_gap(decoded_pre, reference).max().item()
print("pre-RoPE cache: largest relative gap to the prefix prefill over all 24 tokens below 1e-6:", worst_pre < 1e-6)
print("same bases per step as before:", [round(e["base"], 1) for e in pre.log] == [round(b, 1) for b in bases])
assert worst_pre < 1e-6
assert [e["base"] for e in pre.log] == bases

# %% [markdown]
# Token by token, decoding now gives every token the output of a fresh prefill of its own prefix
# (section 5's reference), to float32 rounding: a relative gap below 1e-6, from matrix products of
# different shapes. That holds for this one attention layer; a stack of layers comes next.
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
# **In a stack of layers no cache can match a fresh prefill.** Feed the tiny attention's output
# (2 heads × 64 = 128 numbers per token) into a second one with its own weights, each layer with
# its own cache (`decode` and `prefix_reference` take a list of layers), and compare again with
# the fresh prefill of every prefix:

# %%
def two_layers(kind, cache_keys):
    """Layer 2 reads layer 1's output, 2 x 64 numbers per token, and has its own seeded weights."""
    return [make_attention(kind, cache_keys, D, L, S, BASE),
            make_attention(kind, cache_keys, D, L, S, BASE, hidden_size=2 * D, seed=1)]


stack_reference = prefix_reference(lambda: two_layers("dynamic", "post"), hidden)
stack_gap = {mode: relative_gap(decode(two_layers("dynamic", mode), hidden, PREFILL), stack_reference)
             for mode in ("post", "pre")}
print("two layers: gap to the prefix prefill per decoded token")
print("token   post-RoPE keys   pre-RoPE keys")
for t in range(PREFILL, PREFILL + STEPS):
    print(f"{t:5d}   {stack_gap['post'][t]:14.2%}   {stack_gap['pre'][t]:13.2%}")
assert stack_gap["pre"][:PREFILL].max() < 1e-6
assert (round(stack_gap["pre"][decoded].min().item(), 3), round(stack_gap["pre"][decoded].max().item(), 3)) == (
    0.005, 0.016)
assert (round(stack_gap["post"][decoded].min().item(), 3), round(stack_gap["post"][decoded].max().item(), 3)) == (
    0.008, 0.029)
assert (stack_gap["pre"][decoded] < stack_gap["post"][decoded]).all()

# %% [markdown]
# With two layers, re-rotated keys leave every decoded token 0.5-1.6 % away from its prefix
# prefill (post-RoPE keys: 0.8-2.9 %). The second layer's cache holds keys and values computed,
# at the step that wrote them, from what the first layer produced then, under that step's base;
# a fresh prefill recomputes the first layer's output at every position under the current base.
# Re-rotation fixes the angle of each cached key, not the vector it rotates. So "pre-RoPE caching
# equals the prefill" is a statement about one attention layer; in a deep model only recomputing
# every position at every step, no KV cache at all, gives dynamic NTK's "model at the current
# length".
#
# **What it costs trained models.** Lesson 10 decodes token by token with trained two-layer toy
# models (L = 128, DeepSeek's class at s = 1) and scores the decoded tokens. Its stored results,
# post-RoPE keys minus re-rotated keys, with 95 % intervals from resampling whole sequences:

# %%
from rope_course.toy import stats
from rope_course.toy.results import load_results

toy = load_results()["tasks"]
toy_config = toy["recall"]["training"][0]["model_config"]
toy_L = toy_config["max_position_embeddings"]
assert toy_L == 128 and toy_config["n_layers"] == 2


def post_minus_pre(task, T):
    """(estimate, low, high): accuracy (recall) or mean loss in nats (language), post minus pre."""
    runs = toy[task]["decode"][task][str(T)]
    post, pre = runs["post"]["pooled"]["all"], runs["pre"]["pooled"]["all"]
    key = "correct" if task == "recall" else "loss"
    return stats.difference_interval(post[key], pre[key], post["n"])


toy_cost = {(task, f): post_minus_pre(task, f * toy_L) for task in ("recall", "language") for f in (2, 4, 8)}
for (task, f), (est, lo, hi) in toy_cost.items():
    unit = "accuracy" if task == "recall" else "loss (nats)"
    print(f"{task:8s} T = {f}L: post - pre {unit:12s} {est:+.3f}  [{lo:+.3f}, {hi:+.3f}]")
assert [round(v, 3) for v in toy_cost["recall", 2]] == [-0.064, -0.078, -0.050]
assert all(-0.03 < toy_cost["recall", f][0] < -0.015 and toy_cost["recall", f][2] < 0 for f in (4, 8))
assert all(abs(toy_cost["language", f][0]) < 0.02 and toy_cost["language", f][1] < 0 < toy_cost["language", f][2]
           for f in (2, 4, 8))

# %% [markdown]
# On recall, post-RoPE keys cost 0.064 accuracy at 2L (interval [0.050, 0.078]) and about 0.02 at
# 4L and 8L, every interval below 0; on the toy language the loss moves by less than 0.02 nats,
# every interval containing 0. Lesson 10 also compares with one prefill of the whole sequence,
# which rotates every position with the base of the full length: a different reference from this
# lesson's prefix prefills, which re-rotated keys do not match even in one layer, except at the
# last token:

# %%
one_prefill = prefill(make_attention("dynamic", "pre", D, L, S, BASE), hidden)   # every position with b'(24)
vs_one_prefill = relative_gap(decoded_pre, one_prefill)[decoded]
print(f"one layer, re-rotated keys against one prefill of all 24 tokens: tokens 16-22 "
      f"{vs_one_prefill[:-1].min():.1%} - {vs_one_prefill[:-1].max():.1%}, token 23 below 1e-6: "
      f"{bool(vs_one_prefill[-1] < 1e-6)}")
assert vs_one_prefill[:-1].min() > 5e-3 and vs_one_prefill[-1] < 1e-6

# %% [markdown]
# ## 7. The price
#
# Pre-RoPE caching re-rotates every cached key at every step, instead of rotating each key once.
# That sounds like a new quadratic cost, but decode attention already reads every cached key at
# every step: step t computes a score against all t keys and sums all t values. Re-rotating those
# keys is more elementwise work over the same t rows, so the two grow alike, and the price is a
# constant factor of the attention, not a new power of the length. How large a factor depends on
# how much of each cached row is rotary.
#
# DeepSeek-V3 is the extreme case. In DeepSeek's own inference code its multi-head latent
# attention caches, per token and layer, a 512-number latent plus one 64-dimensional rotary key
# `k_pe` shared by all 128 heads
# ([deepseek-v3-inference-mla](../SOURCES.md#deepseek-v3-inference-mla)); the queries are folded
# into the latent, so each head scores against 576 numbers and sums the 512-number latent.
#
# What is counted, per cached token, per decode step and per layer: for the attention, every
# head's score (one multiply-add per number of the row it scores against) and its weighted sum
# (one per number it sums), at 2 FLOPs a multiply-add; left out are the softmax (one exponential
# per head) and the projections of the new token, which do not depend on the cache. For the
# re-rotation, 3 FLOPs per rotated element (two multiplies and an add), with cos and sin read
# from a table (the module rebuilds one at every step anyway, lesson 03). The traffic column is
# the cache numbers a separate re-rotation pass reads and writes, against the numbers the
# attention reads; a kernel that rotates as it loads reads no extra cache. Either way the
# re-rotation also needs the table's row for every cached position (32 cos and 32 sin for a
# 64-number key), unless it computes them; the last column counts that row against the same
# numbers. The remote file's own layout
# ([upstream-attention](../SOURCES.md#upstream-attention)) caches per-head keys, with `k_pe`
# copied into each of the 128 heads; the second row counts that layout.

# %%
HEADS, LATENT, ROPE_DIM, NOPE_DIM, V_DIM = 128, 512, 64, 128, 128   # DeepSeek-V3's attention shapes
layouts = {
    # per cached token: (attention FLOPs, re-rotation FLOPs, numbers the attention reads, numbers re-rotated)
    "latent cache (DeepSeek's inference code)": (
        2 * HEADS * (LATENT + ROPE_DIM) + 2 * HEADS * LATENT, 3 * ROPE_DIM, LATENT + ROPE_DIM, ROPE_DIM),
    "per-head cache (the remote modeling file)": (
        2 * HEADS * (NOPE_DIM + ROPE_DIM) + 2 * HEADS * V_DIM, 3 * HEADS * ROPE_DIM,
        HEADS * (NOPE_DIM + ROPE_DIM + V_DIM), HEADS * ROPE_DIM),
}
TABLE_ROW = ROPE_DIM   # cos and sin of the 32 pairs at one position
print(f"{'layout':44s} {'attention FLOPs':>15s} {'re-rotation':>12s} {'share':>7s} {'extra traffic':>14s} "
      f"{'table rows':>11s}")
shares = {}
for name, (attn_flops, rot_flops, read, rotated) in layouts.items():
    # a separate pass reads and writes the rotated numbers; the table row is read in any case
    shares[name] = (rot_flops / attn_flops, 2 * rotated / read, TABLE_ROW / read)
    print(f"{name:44s} {attn_flops:15,d} {rot_flops:12,d} {shares[name][0]:7.2%} {shares[name][1]:14.0%} "
          f"{shares[name][2]:11.2%}")
latent_share, latent_traffic, latent_table = shares["latent cache (DeepSeek's inference code)"]
assert round(latent_share, 5) == 0.00069 and round(latent_traffic, 2) == 0.22 and round(latent_table, 3) == 0.111
assert [round(v, 4) for v in shares["per-head cache (the remote modeling file)"]] == [0.30, 0.40, 0.0016]

# %% [markdown]
# Each row is a ratio of two costs that are both linear in the number of cached tokens, so it
# holds at every length: over a whole generation both sum to Σ t. With DeepSeek's latent cache
# the re-rotation is **0.07 %** of the attention FLOPs, because the rotary part is one shared
# 64-number key against 128 heads over a 576-number row. Its traffic is the larger cost: a
# separate pass would read and write another 22 % of the cache, a fused kernel (rotating `k_pe`
# as it loads it) no extra cache, and either needs the positions' cos and sin, 11 % more numbers
# if read from a table. In the remote file's per-head layout the same fix costs 30 % of the
# FLOPs and 40 % more cache traffic (the table, shared by the heads, adds 0.16 %): still a
# constant factor, but a different one. (The old way to price it, counting rotated rows,
# compares the fix with one rotation per key and ignores the attention that already reads all of
# them at every step.)
#
# The maintainers' objection is a judgement about their implementation, and it is worth reading
# as such. In [PR #27227](../SOURCES.md#hf-27227) gante wrote that the fixes for both known
# problems "massively decrease the inference speed" and that he would merge only if a benchmark
# came back positive. The measurements in those threads were of eager PyTorch code in transformers:
# NormXU's timings of `apply_rotary_pos_emb` over the whole growing key list in every one of
# LLaMA-7B's 32 layers ([HF #25104](../SOURCES.md#hf-25104)), and, for the history fix, a 10x
# slowdown called "too much for a precision correction", where moving the table computation
# into the first layer was judged "a bit too big of a change"
# ([PR #27033](../SOURCES.md#hf-27033)). Those are costs of kernels and code structure (an
# unfused rotation per layer over the whole cache, tables rebuilt in every layer): real
# engineering reasons, which section 7's count does not model; they are not a change in the
# order of the work. bloc97 also reported that models "work without problems" in practice
# despite the mismatch ([PR #24653](../SOURCES.md#hf-24653)); NormXU's patch caches keys before
# RoPE ([normxu-consistent-rope](../SOURCES.md#normxu-consistent-rope)). vLLM's dynamic class
# long avoided the question by computing one static base for L·s
# ([vllm #3488](../SOURCES.md#vllm-3488), [#5093](../SOURCES.md#vllm-5093)), until
# [PR #41277](../SOURCES.md#vllm-41277) made the base follow the served length.
#
# ## 8. Explorer: how stale is the cache at realistic lengths?
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
every_key = stale_angle_errors(8192, 4096, D, BASE, 4096, 1.0, pairs=[D // 2 - 1])[:, 0]   # all 8192 keys
assert int(every_key.argmax()) == 4095 and abs(every_key.max() - err_4095) < 1e-12
assert round(err_4095, 2) == 0.27 and abs(sampled["max_error_lowest"] - err_4095) < 0.01
assert sampled["max_error"] > 3.0 and sampled["rebuilds"] == 4097

# %% [markdown]
# A quarter of a radian on the slowest pair, and pair 16 scrambled completely (its stale angle is
# almost π away from a consistent one) for some keys: at realistic lengths the mismatch is not a
# rounding effect. What it does to a trained model's predictions is lesson 10's measurement.

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
#   key at 16: 0.001897 rad on its lowest pair instead of 0.001067), and the prefill's keys keep b.
# * So decoding and prefill disagree: per decoded token the stale-key error is 2.2-9.1 % of the
#   output at s = 2, the same order as the whole change dynamic NTK makes (2.1-14.6 %); the median
#   ratio of the two stays between 0.58 and 1.05 at s = 1, 2, 4, 8, 16 and five draws of the tiny
#   attention ([HF #25104](../SOURCES.md#hf-25104)). The seed's "consistent in generation" is
#   wrong.
# * Caching keys before RoPE and re-rotating them with the current table
#   ([paper-yarn-3-3](../SOURCES.md#paper-yarn-3-3)) gives every token its fresh prefix prefill
#   in one attention layer. In two layers it does not (0.5-1.6 % here): the second layer's cache
#   was computed from the first layer's outputs at earlier steps. On lesson 10's trained toys,
#   post-RoPE keys cost recall 0.064 accuracy at 2L against re-rotated keys and the language
#   less than 0.02 nats.
# * Re-rotation costs a constant factor of the attention, not a new power of the length: 0.07 %
#   of the FLOPs with DeepSeek-V3's latent cache (its traffic, 22 % for a separate pass, is the
#   larger cost), 30 % in the remote file's per-head layout. Hugging Face declined it for the
#   speed of its implementation ([PR #27227](../SOURCES.md#hf-27227)). With standard RoPE both
#   caches give identical outputs.
#
# ## Exercises
#
# Solutions: [solutions/07_generation_kv_cache.ipynb](solutions/07_generation_kv_cache.ipynb).
#
# **Exercise 1 (predict).** A fresh dynamic module (D = 64, b = 10⁴, L = 4096, s = 2) serves a
# prefill of 3000 tokens, then one token per step until the sequence has 6000 tokens, keys cached
# after RoPE. How many distinct bases do the 6000 cached keys carry? Work it out before you use
# any code.

# %%
from rope_course.checks.lesson07 import check_distinct_bases, check_pre_rope_keys, check_rerotation_share

answer = ...
result = check_distinct_bases(answer)

# %% [markdown]
# **Exercise 2 (derive).** Count the price of pre-RoPE caching for a grouped-query attention with
# Llama-3-8B's shapes: 32 query heads share 8 key/value heads of 128 dims, every head dim is
# rotary, keys and values are cached per key/value head. With section 7's count (per cached
# token: 2 FLOPs per multiply-add, 3 per rotated element), give the re-rotation FLOPs as a
# fraction of the attention FLOPs.

# %%
answer = ...
result = check_rerotation_share(answer)

# %% [markdown]
# **Exercise 3 (find the bug).** `buggy_pre_rope_keys` is the pre-RoPE decode loop, written out
# for the keys only: the cache starts with the prefill's raw keys, and each step appends the new
# token's raw key, rotates everything with the current table, and hands the rotated keys to the
# attention. It returns the keys the attention uses at the last step. One line is wrong. Write
# the fixed loop in `pre_rope_keys`; the checker calls it with a fresh rotary module per case,
# dynamic and standard, and compares with every raw key rotated once with the final table.

# %%
def buggy_pre_rope_keys(raw_keys, prefill_len, rotary):
    cache = raw_keys[:, :, :prefill_len]                        # raw keys of the prefill
    keys = None
    for t in range(prefill_len, raw_keys.shape[-2] + 1):       # kv_seq_len of each call
        if t > prefill_len:
            cache = torch.cat((cache, raw_keys[:, :, t - 1:t]), dim=-2)   # the new token's raw key
        cos, sin = rotary(raw_keys, seq_len=t)
        positions = torch.arange(t).unsqueeze(0)
        _, keys = rc.apply_rotary_pos_emb(cache, cache, cos, sin, positions)
        cache = keys
    return keys


def pre_rope_keys(raw_keys, prefill_len, rotary):
    raise NotImplementedError


result = check_pre_rope_keys(pre_rope_keys)
