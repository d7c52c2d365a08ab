# %% [markdown]
# # 10 · Does it extrapolate? (solutions)
#
# Solutions to the exercises of lesson 10; each checker must answer "correct". Open this only
# after trying them. The setup cell loads what the exercises use from the lesson: the toy
# model's config (L, D and its RoPE base).

# %%
import rope_course
from rope_course.checks.lesson10 import check_answer_accuracy, check_answer_positions, check_ntk_fixed_base
from rope_course.toy.eval import load_model

cfg = load_model().config
L, D = cfg.max_position_embeddings, cfg.head_dim
print(f"L = {L}, D = {D}, base = {cfg.rope_base}")

# %% [markdown]
# **1.** Write `ntk_fixed_base(base, dim, scaling_factor)`: the static NTK-aware base
# b·s^(D/(D−2)) (facts §6.1). Why is it equal to the dynamic class's base at T = sL when
# the class's scaling_factor is 1?

# %%
def ntk_fixed_base_mine(base, dim, scaling_factor):
    # the lowest pair (i = D/2 - 1) must be scaled exactly like linear interpolation by s:
    # b'^(-(D-2)/D) = b^(-(D-2)/D) / s  =>  b' = b * s^(D/(D-2)).  At T = sL with class factor 1,
    # the bracket a(T) = 1 + (T/L - 1) = s, so the dynamic base is this same number.
    return base * scaling_factor ** (dim / (dim - 2))


assert check_ntk_fixed_base(ntk_fixed_base_mine).correct
assert ntk_fixed_base_mine(cfg.rope_base, D, 8.0) == rope_course.dynamic_ntk_base(cfg.rope_base, D, 8 * L, L, 1.0)

# %% [markdown]
# **2.** Write `answer_positions(seq_len)`: the list of positions whose *next* token is a
# scored answer in this task (the query keys), for a length that is a multiple of 8. Use
# the layout of §1, not `make_batch`.

# %%
def answer_positions(seq_len):
    context = 3 * seq_len // 4              # the query block starts here
    return [context + 2 * j for j in range(seq_len // 8)]   # every other token: the query keys


assert check_answer_positions(answer_positions).correct

# %% [markdown]
# **3.** Write `answer_accuracy(logits, targets)`: logits (B, T, V), targets (B, T) with
# −100 where a position is not scored. Return the fraction of scored positions whose argmax
# is the target, as a Python float. An average over *all* positions is a common mistake.
# Here it would make every model look bad, and every length look different just because of
# its share of scored positions.

# %%
def answer_accuracy(logits, targets):
    mask = targets != -100
    return (logits[mask].argmax(-1) == targets[mask]).double().mean().item()


assert check_answer_accuracy(answer_accuracy).correct
