# %% [markdown]
# # 11 · Solutions: engines and serving
#
# Each solution is written from the rules as the lesson states them, without the package's
# engine models; the checkers compare against those models.

# %%
from rope_course.checks.lesson11 import (
    check_fixed_update,
    check_padded_batch,
    check_trace_hf,
    check_trace_lost_reset,
    check_vllm_slowest_pair,
)

D, b, L, s = 64, 10000.0, 4096, 2.0


def dynamic_base(n):
    """b (1 + s (n/L - 1))^(D/(D-2)) past L, b otherwise."""
    return b * (1 + s * (n / L - 1)) ** (D / (D - 2)) if n > L else b

# %% [markdown]
# **1.** Follow each engine's state by hand. DeepSeek: the cache only grows (6000, then 8000),
# and the base is the one of the last rebuild: b'(6000) for calls 1-4, b'(8000) for 5-6. HF: 6000
# grows; 5000 is in the gap (keeps b'(6000)); 4096 is not `< L` (keeps it); 3000 resets to b;
# 8000 grows; 7000 keeps b'(8000). Only call 4 differs. HF 5.0-5.12: the cached length stays
# 4096, so every call past L gets its own base (6000, 5000, 8000, 7000) and the two calls at or
# below L keep the last one (b'(5000)); against DeepSeek that is calls 2, 3, 4 and 6.

# %%
def trace(calls, rule):
    bases, cached, base = [], None if rule == "deepseek" else L, b
    for n in calls:
        if rule == "deepseek":
            if cached is None or n > cached:
                cached = n
                base = dynamic_base(n) if n > L else base
        else:
            if n > cached:
                base = dynamic_base(n)
                cached = n if rule == "hf" else cached
            if rule == "hf" and n < L and cached > L:
                base, cached = b, L
        bases.append(base)
    return bases


calls = [6000, 5000, 4096, 3000, 8000, 7000]
deepseek = trace(calls, "deepseek")
calls_where_hf_differs = {i + 1 for i, (x, y) in enumerate(zip(trace(calls, "hf"), deepseek)) if x != y}
calls_where_hf_5_0_differs = {i + 1 for i, (x, y) in enumerate(zip(trace(calls, "lost"), deepseek)) if x != y}
print(calls_where_hf_differs, calls_where_hf_5_0_differs)
assert calls_where_hf_differs == {4} and calls_where_hf_5_0_differs == {2, 3, 4, 6}
assert check_trace_hf(calls_where_hf_differs).correct
assert check_trace_lost_reset(calls_where_hf_5_0_differs).correct

# %% [markdown]
# **2.** The two `setattr` calls write `f"{layer_type}_max_seq_len_cached"`: with
# `layer_type=None` that is `None_max_seq_len_cached`, while the next call reads
# `max_seq_len_cached` through `prefix`. Write with the same prefix as the read.

# %%
def my_update(rope, seq_len, layer_type=None):
    prefix = "" if layer_type is None else f"{layer_type}_"
    cached = getattr(rope, f"{prefix}max_seq_len_cached")
    if seq_len > cached:  # growth
        setattr(rope, f"{prefix}base_in_force", rope.grown_base(seq_len))
        setattr(rope, f"{prefix}max_seq_len_cached", seq_len)
    if seq_len < rope.original_max_seq_len and cached > rope.original_max_seq_len:  # reset
        setattr(rope, f"{prefix}base_in_force", rope.original_base)
        setattr(rope, f"{prefix}max_seq_len_cached", rope.original_max_seq_len)


assert check_fixed_update(my_update).correct

# %% [markdown]
# **3.** vLLM's base is b' = b a^(D/(D−2)) with the constant bracket a = s² − s + 1, whatever
# the prompt's length. Pair i turns at b'^(−2i/D); for the slowest pair, 2i/D = (D − 2)/D, which
# cancels the exponent D/(D−2): inv_freq'[D/2 − 1] / inv_freq[D/2 − 1] = (b'/b)^(−(D−2)/D) = 1/a.
# It depends on s only (not on D, b, L or the prompt): 1/(s² − s + 1) = 1/7 at s = 3. A
# 100-token prompt gets its slowest pair slowed 7 times, as DeepSeek's class would slow it only
# for a prompt of L · s = 12288 tokens (where 1 + s (l/L − 1) = s² − s + 1).

# %%
s_q, D_q = 3.0, 128
vllm_base_over_b = (s_q * s_q - s_q + 1) ** (D_q / (D_q - 2))
slowest_pair_ratio = vllm_base_over_b ** (-(D_q - 2) / D_q)
print(round(slowest_pair_ratio, 6), round(1 / 7, 6))
assert abs(slowest_pair_ratio - 1 / 7) < 1e-12
assert check_vllm_slowest_pair(slowest_pair_ratio).correct

# %% [markdown]
# **4.** The widest prompt is 5000, padded to 5120 (5 × 1024). DeepSeek passes seq_len = 5120 for
# every row; HF's position ids start each prompt at 0, so its length is max id + 1 = 5000. The
# 1500-token prompt gets the batch's base in both.

# %%
padded_batch_bases = (dynamic_base(5120), dynamic_base(5000))
print([round(x, 1) for x in padded_batch_bases])
assert check_padded_batch(padded_batch_bases).correct
