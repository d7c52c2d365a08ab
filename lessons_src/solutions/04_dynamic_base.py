# %% [markdown]
# # 04 · The dynamic base (solutions)

# %%
import torch

from rope_course.checks.lesson04 import check_dynamic_base, check_pair_ratios

# %% [markdown]
# **1.** Branch first: only a rebuild with `seq_len` strictly greater than L changes the base.
# Then the bracket, raised to D/(D-2).

# %%
def my_dynamic_base(base, dim, seq_len, max_position_embeddings, scaling_factor):
    if seq_len <= max_position_embeddings:
        return base
    bracket = scaling_factor * seq_len / max_position_embeddings - (scaling_factor - 1)
    return base * bracket ** (dim / (dim - 2))


assert check_dynamic_base(my_dynamic_base).correct

# %% [markdown]
# **2.** The ratio for pair i is a^(-2i/(D-2)): 1 at i = 0, 1/a at i = D/2 - 1.

# %%
def my_pair_ratios(bracket, dim):
    i = torch.arange(dim // 2, dtype=torch.float64)
    return bracket ** (-2 * i / (dim - 2))


assert check_pair_ratios(my_pair_ratios).correct
