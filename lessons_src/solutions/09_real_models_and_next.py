# %% [markdown]
# # 09 · Real models: DeepSeek-V3 and Kimi-K2 use YaRN (solutions)
#
# Worked solutions to the exercises of lesson 09, checked by the same checkers. Each is derived
# from the rules as the lesson states them, without the package's helpers.

# %%
import math

from rope_course.checks.lesson09 import check_fixed_logits, check_llama3_split, check_never_turned_llama3

# %% [markdown]
# **1.** Upstream's two places, with `mscale` at its default 1: the YaRN class multiplies cos and
# sin by mscale(s, 1) / mscale(s, `mscale_all_dim`), not by the generic 0.1·ln s + 1, and the
# attention multiplies the softmax scale by mscale(s, `mscale_all_dim`)² when `mscale_all_dim` is
# non-zero. So the fix is one line: divide the generic factor by mscale(s, `mscale_all_dim`).
#
# Check the three cases. V3 (`mscale_all_dim` = 1): the ratio is 1, the softmax carries the whole
# temperature, on all 192 dims. `mscale_all_dim` = 0: mscale(s, 0) = 1, so the ratio is the generic
# factor and the softmax scale is plain, the generic YaRN (on the RoPE dims only, as lesson 09 showed).
# Either way the RoPE dims get mscale(s, 1)² once. Dropping the cos/sin factor altogether is right for
# V3 but wrong at `mscale_all_dim` = 0; dropping the softmax factor is wrong for V3.

# %%
def mscale(s, m):
    return 1.0 if s <= 1 else 0.1 * m * math.log(s) + 1.0


def fixed_logits(q_nope, k_nope, q_pe, k_pe, factor, mscale_all_dim):
    attention_factor = mscale(factor, 1.0) / mscale(factor, mscale_all_dim)  # upstream's cos/sin factor
    q_pe, k_pe = q_pe * attention_factor, k_pe * attention_factor
    scale = (q_nope.shape[-1] + q_pe.shape[-1]) ** -0.5
    if mscale_all_dim:
        scale = scale * mscale(factor, mscale_all_dim) ** 2
    return (q_nope @ k_nope.T + q_pe @ k_pe.T) * scale


result = check_fixed_logits(fixed_logits)
assert result.correct

# %% [markdown]
# **2.** Pair i turns L·θ^(−2i/D)/(2π) times over L tokens. It is exactly one turn at
# i* = (D/2)·ln(L/2π)/ln θ = 64 · ln(8192/2π)/ln 500000 = 64 · 7.173/13.122 ≈ 34.98. Pairs 0..34
# turn at least once; pairs 35..63 do not: 29 pairs. (Twice 35 = 70 is the critical dimension in
# dimensions.)

# %%
boundary = 64 * math.log(8192 / (2 * math.pi)) / math.log(500000.0)
never_turned_llama3 = 64 - math.ceil(boundary)
print(f"i* = {boundary:.3f} -> {never_turned_llama3} pairs never turn")
result = check_never_turned_llama3(never_turned_llama3)
assert result.correct

# %% [markdown]
# **3.** The rule counts turns over the original context, r = 8192·θᵢ/(2π): divided when r < 1
# (the 29 pairs of exercise 2), kept when r > 4, blended in between. r = 4 at
# i = 64·ln(8192/(8π))/ln 500000 = 64 · 5.787/13.122 ≈ 28.22, so pairs 0..28 are kept (29 pairs),
# pairs 29..34 are blended (6) and pairs 35..63 are divided by 8 (29). The counts add up to 64.

# %%
def turns(i):
    return 8192 * 500000.0 ** (-2 * i / 128) / (2 * math.pi)


fast_boundary = 64 * math.log(8192 / (8 * math.pi)) / math.log(500000.0)
kept = sum(turns(i) > 4 for i in range(64))
divided = sum(turns(i) < 1 for i in range(64))
llama3_split = (kept, 64 - kept - divided, divided)
print(f"r = 4 at i = {fast_boundary:.3f}; (kept, blended, divided) = {llama3_split}")
result = check_llama3_split(llama3_split)
assert result.correct
