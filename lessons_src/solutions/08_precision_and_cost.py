# %% [markdown]
# # 08 · Precision and cost of the cos/sin cache (solutions)
#
# Worked solutions to the exercises of lesson 08, checked by the same checkers. Each is derived
# from the rules as the lesson states them, without the package's helpers.

# %%
import torch

from rope_course.checks.lesson08 import check_distinct_positions_1500, check_fixed_rebuild, check_shared_row_1700

# %% [markdown]
# **1.** bf16 has 8 significant bits, so in [2^k, 2^(k+1)) its values are spaced 2^(k−7) apart:
#
# * 0 .. 256: every integer is exact: 257 values;
# * [256, 512), spacing 2: 258, 260, ..., 510 are new: 127 values (511 rounds to 512, counted next);
# * [512, 1024), spacing 4: 512, 516, ..., 1020: 128 values (1021 → 1020; 1022, a tie between
#   1020 and 1024, goes to 1024, whose mantissa is even);
# * [1024, 2048), spacing 8: 1024, 1032, ... up to where 1499 lands: 1499 is 3 above 1496 and 5
#   below 1504, so it rounds down, and the last value is 1496: (1496 − 1024)/8 + 1 = 60 values.
#
# Total 257 + 127 + 128 + 60 = 572. (For 0..2047 the same count gives 257 + 127 + 128 + 128 = 640,
# plus 2048, which 2044..2047 round up to: the lesson's 641.)

# %%
distinct_in_1500 = 257 + 127 + 128 + (1496 - 1024) // 8 + 1
result = check_distinct_positions_1500(distinct_in_1500)
assert result.correct
print(distinct_in_1500)

# %% [markdown]
# **2.** 1700 lies in [1024, 2048), where the grid is 1688, 1696, 1704, ... 1700 is exactly halfway
# between 1696 and 1704: a tie, which goes to the value with an even mantissa. 1696 = 212·8
# (even), 1704 = 213·8 (odd), so 1700 → 1696. Which positions also land on 1696? Everything
# strictly within 4 of it, 1693..1699, plus the two ties at distance 4: 1692 (between 1688 = 211·8
# and 1696: goes to 1696) and 1700 (goes to 1696, as just shown). So 1692..1700, nine positions.

# %%
positions_like_1700 = set(range(1692, 1701))
result = check_shared_row_1700(positions_like_1700)
assert result.correct

# %% [markdown]
# **3.** Two things in the excerpt come from the cast: `t` is built in `inv_freq`'s dtype (bf16
# positions), and `inv_freq` itself was rounded to bf16. Fixing only `t` still leaves the
# frequencies off by up to about 2⁻⁸ relative (the lesson measured 0.0037), and multiplied by a
# position near 4000 that moves angles by more than a radian (the next cell measures it). So
# recompute inv_freq in float32 from the base, count positions in float32, and cast only the
# finished tables, as DeepSeek's YaRN class does.

# %%
inv_freq32 = 1.0 / (10000 ** (torch.arange(0, 64, 2, dtype=torch.float32) / 64))
shift = (4095 * (inv_freq32.to(torch.bfloat16).float() - inv_freq32).abs()).max().item()
print(f"largest angle change at p = 4095 from the bf16 inv_freq alone: {shift:.2f} rad")
assert shift > 1

# %%
def fixed_rebuild(base, dim, seq_len, dtype):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    t = torch.arange(seq_len, dtype=torch.float32)
    freqs = torch.outer(t, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype), emb.sin().to(dtype)


result = check_fixed_rebuild(fixed_rebuild)
assert result.correct
