# %% [markdown]
# # 02 · The inherited forward: solutions
#
# One way to solve each exercise of [02 · The inherited forward](../02_inherited_forward.ipynb), checked by the same
# checkers the lesson uses. Try the exercises first.

# %%
import traceback

import torch

import rope_course as rc
from rope_course.checks.lesson02 import (
    check_failing_expression,
    check_inferred_rows,
    check_returned_bytes,
    check_slice_and_cast,
)

# %% [markdown]
# **Exercise 1.** Follow each call through upstream's code
# ([upstream-forward](../../SOURCES.md#upstream-forward)):
#
# 1. Linear, fresh: `max_seq_len_cached is None`, so the forward calls the linear builder
#    ([upstream-linear](../../SOURCES.md#upstream-linear)), whose first use of `seq_len` is
#    `torch.arange(seq_len, ...)` (it divides the positions by `scaling_factor` only afterwards): **A**.
# 2. YaRN, fresh: the same branch; the YaRN builder computes its blended `inv_freq` from the config
#    (no `seq_len` there), then `torch.arange(seq_len, ...)` for the positions: **A**
#    ([upstream-yarn](../../SOURCES.md#upstream-yarn)).
# 3. Dynamic after a call of 3000 and the repair: the call left its base and its 3000-row table,
#    but the repair set `max_seq_len_cached` back to `None`, so the forward's check is true
#    without comparing anything, and the dynamic builder runs. Its first use of `seq_len` is,
#    as on a fresh module, `None > 2048`, whatever base is installed: **C**. "After an earlier
#    call, the forward's check fails" is really "while `max_seq_len_cached` holds a length".
# 4. The first call of a fresh dynamic module failed at the dynamic builder's `None > 2048`. That
#    failure left `max_seq_len_cached` at `None` (upstream's builder assigns `seq_len`, which is
#    `None`, before it fails; the package assigns nothing), so the second call takes the same path
#    and fails at the same place: **C**.

# %%
answer = ("A", "A", "C", "C")
result = check_failing_expression(answer)
assert result.correct

# %% [markdown]
# The same, seen by running the modules with the course's guard off (`rc.upstream_errors()`) and
# reading the line that raised from the traceback:

# %%
def raising_line(module):
    try:
        with rc.upstream_errors():
            module(torch.zeros(1))
    except TypeError as exc:
        return traceback.extract_tb(exc.__traceback__)[-1].line
    return None


lines = [raising_line(rc.LinearScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)),
         raising_line(rc.YarnRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0))]
repaired = rc.DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)
repaired(torch.zeros(1), seq_len=3000)
repaired.max_seq_len_cached = None
lines.append(raising_line(repaired))
dynamic = rc.DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)
raising_line(dynamic)
lines.append(raising_line(dynamic))
for number, line in enumerate(lines, start=1):
    print(number, line)
assert "arange" in lines[0] and "arange" in lines[1]
assert lines[2] == lines[3] == "if seq_len > self.max_position_embeddings:"

# %% [markdown]
# **Exercise 2.** The first call built a float32 cache of 8192 rows.
#
# 1. `forward(x_bf16, seq_len=4096)`: 4096 <= 8192, no rebuild; the float32 slice is cast to
#    bfloat16, a copy per table: 2 tables x 4096 x 64 elements x 2 bytes = 1,048,576 bytes.
# 2. `forward(x32, seq_len=4096)`: no rebuild, same dtype: `.to` returns the slice itself, a
#    view: 0 bytes.
# 3. `forward(x_bf16, seq_len=10000)`: 10000 > 8192, a rebuild, and the new cache is built in the
#    dtype of this `x`, bfloat16; the slice (all 10000 rows) then needs no cast: two views, 0
#    bytes (the rebuild allocates the new cache, but that is the module's memory, not the
#    returned tensors').

# %%
answer = (2 * 4096 * 64 * 2, 0, 0)
result = check_returned_bytes(answer)
assert result.correct

# %% [markdown]
# **Exercise 3.** `x.shape[-2]` of `value_states` is its "new tokens" axis, 1 at a decoding step, so
# the fix asks for a 1-row table. `apply_rotary_pos_emb` picks row 100 of it: it needs 101 rows
# (positions 0 .. 100), which is what the attention's `kv_seq_len` = 100 cached + 1 new would have
# asked for ([upstream-attention](../../SOURCES.md#upstream-attention)).

# %%
answer = (1, 101)
result = check_inferred_rows(answer)
assert result.correct

# %% [markdown]
# Indeed, with the 1-row table the gather fails:

# %%
rope = rc.DynamicNTKScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)
value_states = torch.zeros(1, 128, 1, 128)
cos, sin = rope(value_states, seq_len=value_states.shape[-2])
q = k = torch.zeros(1, 128, 1, 64)
try:
    rc.apply_rotary_pos_emb(q, k, cos, sin, torch.tensor([[100]]))
except IndexError as exc:
    print("IndexError:", exc)
    gather_error = exc
assert cos.shape[0] == 1 and isinstance(gather_error, IndexError)

# %% [markdown]
# **Exercise 4.** Slicing gives a view; `.to(dtype)` returns that same view when the dtype
# already matches and a copy otherwise. No `.clone()`: that would break the sharing the
# checker expects in the no-cast cases.

# %%
def slice_and_cast(table, seq_len, dtype):
    return table[:seq_len].to(dtype=dtype)


result = check_slice_and_cast(slice_and_cast)
assert result.correct
