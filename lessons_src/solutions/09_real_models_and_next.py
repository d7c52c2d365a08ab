# %% [markdown]
# # 09 · Real models: DeepSeek-V3 and Kimi-K2 use YaRN (solutions)
#
# Worked solutions to the exercises of lesson 09, checked by the same checkers.

# %%
import math

import torch

from rope_course.checks.lesson09 import check_softmax_scale, check_yarn_correction_range, check_yarn_ratio

# %% [markdown]
# **1.** The correction dimension for r turns, floor at beta_fast (many turns: a low pair index),
# ceil at beta_slow (few turns: a high index), then the clamp. Upstream clamps to D − 1, not to
# the last pair D/2 − 1; for the real configs it makes no difference.

# %%
def yarn_correction_range(dim, base, original_max_position_embeddings, beta_fast, beta_slow):
    def correction_dim(turns):
        return dim * math.log(original_max_position_embeddings / (2 * math.pi * turns)) / (2 * math.log(base))

    low = math.floor(correction_dim(beta_fast))
    high = math.ceil(correction_dim(beta_slow))
    return max(low, 0), min(high, dim - 1)


result = check_yarn_correction_range(yarn_correction_range)
assert result.correct
print("DeepSeek-V3:", yarn_correction_range(64, 10000, 4096, 32, 1), "| Kimi-K2:", yarn_correction_range(64, 50000.0, 4096, 1, 1))

# %% [markdown]
# **2.** The temperature multiplies the score once, as mscale² (YaRN applies √(1/t) to q and to
# k). The scale uses the whole q head (128 + 64 = 192 for DeepSeek-V3), not only the rotary part.

# %%
def softmax_scale(q_head_dim, factor, mscale_all_dim):
    scale = q_head_dim ** -0.5
    if mscale_all_dim:
        m = 1.0 if factor <= 1 else 0.1 * mscale_all_dim * math.log(factor) + 1.0
        scale = scale * m * m
    return scale


result = check_softmax_scale(softmax_scale)
assert result.correct

# %% [markdown]
# **3.** YaRN's inv_freq is (1 − ramp)·original + ramp·original/s, so the ratio is
# (1 − ramp) + ramp/s: 1 for the fast pairs, 1/s for the slow ones.

# %%
def yarn_ratio(half, low, high, factor):
    if low == high:
        high = high + 0.001
    ramp = torch.clamp((torch.arange(half, dtype=torch.float64) - low) / (high - low), 0, 1)
    return (1 - ramp) + ramp / factor


result = check_yarn_ratio(yarn_ratio)
assert result.correct
