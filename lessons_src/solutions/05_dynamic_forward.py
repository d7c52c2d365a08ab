# %% [markdown]
# # 05 · The dynamic forward, end to end (solutions)

# %%
import rope_course as rc
from rope_course.checks.lesson05 import check_hf_base_after, check_inv_freq_after

# %% [markdown]
# **1.** Walk the calls with DeepSeek's rule: rebuild when the cache is empty or the call is
# strictly longer; a rebuild past L sets a new base; nothing ever restores the original.

# %%
def my_inv_freq_after(calls, dim, L, s):
    cached, base = None, 10000
    for seq_len in calls:
        if cached is None or seq_len > cached:
            cached = seq_len
            if seq_len > L:
                base = rc.dynamic_ntk_base(10000, dim, seq_len, L, s)
    return rc.inv_freq_for_base(base, dim)


assert check_inv_freq_after(my_inv_freq_after).correct

# %% [markdown]
# **2.** HF's rule: the cached length starts at L; grow when a call is longer than it; then reset
# when the call is strictly shorter than L and the cache is longer than L.

# %%
def my_hf_base_after(calls, dim, L, s):
    cached, base = L, 10000
    for seq_len in calls:
        if seq_len > cached:
            cached = seq_len
            base = rc.dynamic_ntk_base(10000, dim, seq_len, L, s)
        if seq_len < L and cached > L:
            cached, base = L, 10000
    return base


assert check_hf_base_after(my_hf_base_after).correct
print("3000 then 2500:", round(my_hf_base_after([3000, 2500], 64, 2048, 2.0), 1),
      "| 3000 then 1000:", my_hf_base_after([3000, 1000], 64, 2048, 2.0))
