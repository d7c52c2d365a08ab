# %% [markdown]
# # 06 · RoPE inside attention: solutions
#
# Reference solutions to the exercises of `lessons/06_attention.ipynb`, each run through the same
# checker, which must answer "correct".

# %%
import math

import numpy as np
import torch

import rope_course as rc
from rope_course.checks.lesson06 import check_max_angle_ratios, check_pairs_beyond, check_score_at_distance

# %% [markdown]
# **Exercise 1.** Per pair i (components 2i, 2i+1): (q_i·k_i) cos(dθ_i) + (q_i×k_i) sin(dθ_i),
# summed. The sign of the sine term follows from R(mθ)ᵀR(nθ) = R(-(m-n)θ).

# %%
def score_at_distance(q, k, distance, inv_freq):
    q = torch.as_tensor(q, dtype=torch.float64)
    k = torch.as_tensor(k, dtype=torch.float64)
    angles = distance * torch.as_tensor(inv_freq, dtype=torch.float64)
    q0, q1, k0, k1 = q[0::2], q[1::2], k[0::2], k[1::2]
    dot = q0 * k0 + q1 * k1
    cross = q0 * k1 - q1 * k0
    return float((dot * angles.cos() + cross * angles.sin()).sum())


result = check_score_at_distance(score_at_distance)
assert result.correct

# %% [markdown]
# **Exercise 2.** Largest positions are l - 1 and L - 1; the dynamic base comes from
# `rc.dynamic_ntk_base` (unchanged when l ≤ L).

# %%
def max_angle_ratios(dim, base, seq_len, max_position_embeddings, scaling_factor):
    new_base = rc.dynamic_ntk_base(base, dim, seq_len, max_position_embeddings, scaling_factor)
    exponents = np.arange(0, dim, 2, dtype=np.float64) / dim
    theta, theta_new = base ** -exponents, new_base ** -exponents
    return (seq_len - 1) * theta_new / ((max_position_embeddings - 1) * theta)


result = check_max_angle_ratios(max_angle_ratios)
assert result.correct

# %% [markdown]
# **Exercise 3.** Only pairs with (L - 1)θ_i < 2π count; of those, the ones whose ratio exceeds 1.

# %%
def pairs_beyond(dim, base, seq_len, max_position_embeddings, scaling_factor):
    exponents = np.arange(0, dim, 2, dtype=np.float64) / dim
    trained_max = (max_position_embeddings - 1) * base ** -exponents
    never_turned = trained_max < 2 * math.pi
    ratios = max_angle_ratios(dim, base, seq_len, max_position_embeddings, scaling_factor)
    return int((never_turned & (ratios > 1)).sum())


result = check_pairs_beyond(pairs_beyond)
assert result.correct
