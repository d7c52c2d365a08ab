# %% [markdown]
# # 02 · The forward the dynamic class inherits
#
# The seed lesson ([seed 4.3.3](../SOURCES.md#seed-4-3-3)) is about
# `DynamicNTKScalingRotaryEmbedding.forward`, and says correctly that the dynamic class does not
# override it. This lesson takes that forward apart and proves each of its properties with a
# cell, including two that the seed gets wrong: `seq_len` is **not** optional, and the seed's own
# example crashes in upstream's code.
#
# **Learning goals.** After this lesson you can
# 1. name the three steps of the forward: cache check, slice, dtype cast;
# 2. prove from the class objects that the dynamic class inherits `forward` unchanged and
#    overrides only `__init__` and `_set_cos_sin_cache`;
# 3. tell when the returned tensors share memory with the cache (slice = view) and when they
#    are copies (cast to another dtype);
# 4. explain why `x` contributes only its device and dtype, why `seq_len` is required, and which
#    expression of upstream's code fails, for each class, when it is missing;
# 5. explain why the tables are not in `state_dict`, and why `scaling_factor` is set **before**
#    `super().__init__` (and when that matters).
#
# The upstream code is DeepSeek-V3's `modeling_deepseek.py`; every claim about it cites an entry
# of the course's [SOURCES.md](../SOURCES.md), which names the copy that was read and its lines.

# %%
import inspect

import torch

import rope_course as rc
from rope_course.checks.lesson02 import failure_site, observe_rebuilds, shares_storage

torch.manual_seed(0)
Rotary, Dynamic, Linear = rc.RotaryEmbedding, rc.DynamicNTKScalingRotaryEmbedding, rc.LinearScalingRotaryEmbedding

# %% [markdown]
# ## 1. The forward in three steps
#
# Upstream's `forward(x, seq_len=None)` ([upstream-forward](../SOURCES.md#upstream-forward)), in
# words:
#
# 1. **cache check:** if `max_seq_len_cached is None` or `seq_len > max_seq_len_cached`
#    (strictly), call `self._set_cos_sin_cache(seq_len, x.device, x.dtype)`;
# 2. **slice:** take the first `seq_len` rows of `cos_cached` and `sin_cached`;
# 3. **cast:** `.to(dtype=x.dtype)` on each, and return the pair, shape `(seq_len, dim)`.
#
# The package's forward is the same three steps, plus input checks that run before any state
# changes (the only deviation from upstream, on the error path; section 6 switches them off):

# %%
print(inspect.getsource(Rotary.forward))

# %% [markdown]
# ## 2. Proof that the dynamic class inherits it
#
# Python looks a method up along the MRO (method resolution order) and takes the first class
# whose `__dict__` defines it. `Dynamic.__dict__` has no `forward`, so `Dynamic.forward` **is**
# the parent's function object, not a copy. The functions the dynamic class defines itself
# are exactly `__init__` and `_set_cos_sin_cache`, as upstream's
# ([upstream-dynamic-init](../SOURCES.md#upstream-dynamic-init),
# [upstream-dynamic-cache](../SOURCES.md#upstream-dynamic-cache)):

# %%
print("MRO:", [cls.__name__ for cls in Dynamic.__mro__])
own = sorted(name for name, value in vars(Dynamic).items() if inspect.isfunction(value))
print("functions defined in Dynamic itself:", own)
print("'forward' in Dynamic.__dict__:", "forward" in Dynamic.__dict__)
print("Dynamic.forward is Rotary.forward:", Dynamic.forward is Rotary.forward)

assert Dynamic.__mro__[1] is Rotary
assert "forward" not in Dynamic.__dict__
assert Dynamic.forward is Rotary.forward
assert own == ["__init__", "_set_cos_sin_cache"]

# %% [markdown]
# So every difference between the two classes comes from **what `_set_cos_sin_cache` puts in
# the cache**. Inside the inherited forward, `self._set_cos_sin_cache(...)` dispatches on the
# instance's class: a dynamic module runs the dynamic builder (which may change the base,
# lesson 04). We can watch which calls rebuild, without predicting, by wrapping the builder on
# one instance (`observe_rebuilds` from the lesson's checks module):

# %%
print(inspect.getsource(observe_rebuilds))
rope = Dynamic(8, max_position_embeddings=16, scaling_factor=2.0)
calls = [4, 4, 10, 16, 17, 8]
pattern = observe_rebuilds(rope, calls)
for seq_len, rebuilt in zip(calls, pattern):
    print(f"seq_len={seq_len:2d}: {'rebuild' if rebuilt else 'reuse the cache'}")
print("max_seq_len_cached after the calls:", rope.max_seq_len_cached)
assert pattern == [True, False, True, True, True, False]
assert rope.max_seq_len_cached == 17

# %% [markdown]
# The first call rebuilds even though `__init__` already built a table: `__init__` sets
# `max_seq_len_cached = None` right after building it
# ([upstream-init](../SOURCES.md#upstream-init)). After that only a strictly longer request
# rebuilds, and the cache then holds **exactly** that many rows. Lesson 03 is all about this
# trigger.
#
# ## 3. Slice = view, cast = copy
#
# `cos_cached[:seq_len]` is a **view**: a new tensor header over the same memory. `.to(dtype)`
# returns the tensor **itself** when the dtype already matches, and a new tensor (a copy) when
# it differs. The cache is built in the dtype of the `x` that triggered the rebuild
# ([upstream-set-cos-sin-cache](../SOURCES.md#upstream-set-cos-sin-cache)), so:

# %%
rope = Rotary(64, max_position_embeddings=16)
x32 = torch.zeros(1, dtype=torch.float32)
cos, sin = rope(x32, seq_len=10)                     # builds a float32 cache of 10 rows
print("cache dtype:", rope.cos_cached.dtype, " returned dtype:", cos.dtype)
print("same data pointer:", cos.data_ptr() == rope.cos_cached.data_ptr())
print("cos._base is rope.cos_cached:", cos._base is rope.cos_cached)
print("shares storage:", shares_storage(cos, rope.cos_cached))
assert cos.data_ptr() == rope.cos_cached.data_ptr() and cos._base is rope.cos_cached

part = rope.cos_cached[:4]
print("same-dtype .to returns the very same tensor:", part.to(torch.float32) is part)
assert part.to(torch.float32) is part

cos_bf16, _ = rope(torch.zeros(1, dtype=torch.bfloat16), seq_len=6)   # no rebuild: 6 <= 10
print("bf16 request: cache dtype still", rope.cos_cached.dtype, "| returned", cos_bf16.dtype,
      "| shares storage:", shares_storage(cos_bf16, rope.cos_cached), "| _base:", cos_bf16._base)
assert cos_bf16.dtype == torch.bfloat16 and not shares_storage(cos_bf16, rope.cos_cached)
assert cos_bf16._base is None

# %% [markdown]
# Two consequences worth knowing:
#
# * Writing into the returned `cos` **in place** writes into the module's cache (it is the same
#   memory) and changes what every later call returns, until a rebuild replaces the table.
#   `apply_rotary_pos_emb` never does that (it gathers rows, a copy); your own code should not
#   either:

# %%
cos, _ = rope(x32, seq_len=10)
before = rope.cos_cached[0, 0].item()
cos[0, 0] = 123.0                      # an in-place write into the view
print("cos_cached[0, 0] before / after:", before, "/", rope.cos_cached[0, 0].item())
assert rope.cos_cached[0, 0].item() == 123.0
later, _ = rope(x32, seq_len=5)        # a later, shorter call: no rebuild, so it gets the written value
print("a later call's cos[0, 0]:", later[0, 0].item())
assert later[0, 0].item() == 123.0
rope.max_seq_len_cached = None         # repair: force a rebuild on the next call
repaired, _ = rope(x32, seq_len=5)
assert repaired[0, 0].item() == 1.0    # cos(0): the rebuilt table is right again

# %% [markdown]
# * The table keeps the dtype of the call that **built** it. A float32 request served from a
#   cache built for bfloat16 returns float32 tensors that carry only bfloat16 precision. bfloat16
#   keeps 8 significant bits, so a value between 0.5 and 1 is rounded by at most half its step
#   of `2^-8`: the error is at most `2^-9 ~ 0.00195`, and a long table reaches that bound:

# %%
for rows in (10, 4096, 32768):
    mixed = Rotary(64, max_position_embeddings=16)
    mixed(torch.zeros(1, dtype=torch.bfloat16), seq_len=rows)        # builds a bf16 cache
    cos_from_bf16, _ = mixed(torch.zeros(1), seq_len=rows)           # float32 request, no rebuild
    cos_true, _ = Rotary(64, max_position_embeddings=16)(torch.zeros(1), seq_len=rows)
    err = (cos_from_bf16 - cos_true).abs().max().item()
    print(f"{rows:5d} rows: returned dtype {cos_from_bf16.dtype}, largest error against a float32 table: "
          f"{err:.6f} (2^-9 = {2 ** -9:.6f})")
    assert cos_from_bf16.dtype == torch.float32 and 1e-3 < err <= 2 ** -9
assert err == 2 ** -9                                                 # the bound, reached

# %% [markdown]
# ## 4. The call inspector: one module, one call at a time
#
# The inspector below holds one real module, the seed's own example,
# `DynamicNTKScalingRotaryEmbedding(dim=64, max_position_embeddings=2048, scaling_factor=2.0)`.
# Choose the next call's `seq_len` and the dtype of its `x`, then press **call**: it runs
# `forward(x, seq_len=seq_len)` on that module and adds a row to the table, read back from the
# module. **new module** starts again from a fresh one. In the picture, each call is a dot at
# the length it asked for, vermillion when it rebuilt the cache, hollow blue when the cache
# served it; the blue bar at each call is `max_seq_len_cached` after it, the open diamond the
# call the controls describe; below, the base the cached table was built with.
#
# It starts with the seed's example done right (`seq_len` passed): a short call (1000), a long
# one (3000 > 2048), the short one again, and the short one from a bfloat16 caller. Things to
# try, predicting each row before you press: the long call again (3000); 3001; a call at 2048
# on a new module; a bfloat16 call that rebuilds, then a float32 call that does not.

# %%
from rope_course.explorers.call_inspector import CallInspector, observe_rows, predict_rows, table_cells

seed_calls = [(1000, "float32"), (3000, "float32"), (1000, "float32"), (1000, "bfloat16")]
CallInspector(calls=seed_calls).show()

# %% [markdown]
# The same four calls as text (the table above is read from a real module; here the same rows
# come from the rules alone, and the two agree):

# %%
observed, predicted = observe_rows(seed_calls), predict_rows(seed_calls)
for cells in table_cells(observed):
    print(" | ".join(f"{column} {value}" for column, value in cells.items()))
assert observed == predicted
assert [row.rebuilt for row in observed] == [True, True, False, False]
assert observed[2].base == observed[1].base == rc.dynamic_ntk_base(10000, 64, 3000, 2048, 2.0)
assert round(observed[2].base, 1) == 19710.4       # the short call runs with the long call's base
assert [row.returned for row in observed] == ["view", "view", "view", "copy"]

# %% [markdown]
# Row 3 is the history effect lesson 05 studies: the same short request as row 1, now served
# from the table built for 3000 tokens, with the base 19710.4 instead of 10000. Row 4 is the
# cast: the cache is float32, the caller wants bfloat16, so it gets a copy.
#
# ## 5. `x` gives only its device and dtype
#
# Nothing in the forward reads the values or the shape of `x`. Two inputs with different
# contents and shapes (same dtype) give identical tables, and the number of rows comes from
# `seq_len`, not from `x`:

# %%
x_a = torch.randn(1, 8, 1000, 64)
x_b = torch.full((3,), 7.0)
cos_a, sin_a = Rotary(64)(x_a, seq_len=3000)
cos_b, sin_b = Rotary(64)(x_b, seq_len=3000)
print("x shapes:", tuple(x_a.shape), tuple(x_b.shape), "-> cos shapes:", tuple(cos_a.shape), tuple(cos_b.shape))
print("identical tables:", torch.equal(cos_a, cos_b) and torch.equal(sin_a, sin_b))
assert torch.equal(cos_a, cos_b) and torch.equal(sin_a, sin_b) and cos_a.shape == (3000, 64)

# %% [markdown]
# In DeepSeek-V3's attention `x` is `value_states` and `seq_len` is `kv_seq_len`, the number of
# past plus new tokens ([upstream-attention](../SOURCES.md#upstream-attention)): the attention
# **always** passes `seq_len`.
#
# ## 6. `seq_len` is required: which expression of upstream fails
#
# The seed calls `rope(x_short)` and `rope(x_long)` without `seq_len`
# ([seed 4.3.3](../SOURCES.md#seed-4-3-3)), and the series' lesson 4.1.3 says `seq_len` is
# optional, "infer from x.shape[-2] if None" ([seed 4.1.3](../SOURCES.md#seed-4-1-3)). Upstream
# never infers it: `None` travels into the first expression that uses it, and that expression
# depends on the class and on the module's state.
#
# The package's modules normally refuse `seq_len=None` with a clear `ValueError` before touching
# any state. Inside `with rc.upstream_errors():` that guard is off, so the call runs upstream's
# own path and fails where upstream fails. `failure_site` (from the lesson's checks module) makes
# such a call and reports the error, the functions it went through and the line that raised:

# %%
print(inspect.getsource(failure_site))

# %%
def used_once(module):
    module(torch.zeros(1), seq_len=10)          # an earlier call with seq_len passed
    return module


situations = {
    "standard, fresh": Rotary(64, max_position_embeddings=2048),
    "dynamic, fresh": Dynamic(64, max_position_embeddings=2048, scaling_factor=2.0),
    "standard, after a call": used_once(Rotary(64, max_position_embeddings=2048)),
    "dynamic, after a call": used_once(Dynamic(64, max_position_embeddings=2048, scaling_factor=2.0)),
}
sites = {}
for label, module in situations.items():
    sites[label] = failure_site(module)
    message, chain, line = sites[label]
    print(f"{label}:\n  {message}\n  in {' -> '.join(chain)}:  {line}")

assert all(message.startswith("TypeError") for message, _, _ in sites.values())
assert sites["standard, fresh"][0] == "TypeError: arange() received an invalid combination of arguments"
assert sites["standard, fresh"][1][:2] == ["forward", "_set_cos_sin_cache"]
assert "torch.arange(seq_len" in sites["standard, fresh"][2]
not_comparable = "TypeError: '>' not supported between instances of 'NoneType' and 'int'"
assert sites["dynamic, fresh"] == (not_comparable, ["forward", "_set_cos_sin_cache"],
                                   "if seq_len > self.max_position_embeddings:")
for label in ("standard, after a call", "dynamic, after a call"):
    assert sites[label][0] == not_comparable and sites[label][1] == ["forward"]
    assert "seq_len > self.max_seq_len_cached" in sites[label][2]

# %% [markdown]
# Three different failures, all `TypeError`s:
#
# * **standard class, fresh** (`max_seq_len_cached is None`): the cache check is true, the
#   builder runs and `torch.arange(None, ...)` fails: upstream's line `t =
#   torch.arange(self.max_seq_len_cached, ...)` in `_set_cos_sin_cache`
#   ([upstream-set-cos-sin-cache](../SOURCES.md#upstream-set-cos-sin-cache); the package's builder
#   makes the same `arange` call in a helper, `table_positions`);
# * **dynamic class, fresh** (`max_seq_len_cached is None`): its own builder runs and fails
#   **before any `arange`**, at its branch `seq_len > self.max_position_embeddings`: `None > 2048`
#   ([upstream-dynamic-cache](../SOURCES.md#upstream-dynamic-cache));
# * **either class after an earlier call** (`max_seq_len_cached` holds its length): the
#   forward's own check `seq_len > self.max_seq_len_cached` fails
#   ([upstream-forward](../SOURCES.md#upstream-forward)); no builder runs.
#
# The seed's example is the dynamic class, fresh: the second failure. With the guard on (the
# package's default), the same call is refused with a `ValueError` that says what upstream
# requires, and the module is left as it was:

# %%
rope = Dynamic(dim=64, scaling_factor=2.0, max_position_embeddings=2048)
x_short = torch.randn(1, 8, 1000, 64)
try:
    cos_short, sin_short = rope(x_short)
except ValueError as exc:
    print("ValueError:", exc)
    error = exc
assert isinstance(error, ValueError) and "seq_len is required" in str(error)
assert rope.max_seq_len_cached is None        # the failed call changed nothing

with rc.upstream_errors():
    try:
        rope(x_short)
    except TypeError as exc:
        print("the same call, upstream's path: TypeError:", exc)
        upstream_error = exc
assert str(upstream_error) == "'>' not supported between instances of 'NoneType' and 'int'"

cos_short, sin_short = rope(x_short, seq_len=x_short.shape[-2])   # what the caller must do
print("with seq_len=1000:", tuple(cos_short.shape))
assert cos_short.shape == (1000, 64)

# %% [markdown]
# (What the seed's example does once `seq_len` is passed, the short call then the long call, is
# the first rows of the call inspector above; why the short call's table then depends on
# history is lesson 05.)
#
# ## 7. The buffers are not saved: `persistent=False`
#
# `inv_freq`, `cos_cached` and `sin_cached` are registered with `persistent=False`
# ([upstream-init](../SOURCES.md#upstream-init),
# [upstream-set-cos-sin-cache](../SOURCES.md#upstream-set-cos-sin-cache)): they are buffers (they
# follow `.to(device)`), but `state_dict()` leaves them out; they are recomputed from the config.
# The series' lesson 4.1.1 says they are "saved in state_dict"
# ([seed 4.1.1](../SOURCES.md#seed-4-1-1)); its own tasks file says the opposite
# ([seed 4.1.1 tasks](../SOURCES.md#seed-4-1-1-tasks)):

# %%
print("buffers:", [name for name, _ in rope.named_buffers()])
print("state_dict keys:", list(rope.state_dict().keys()))
assert [name for name, _ in rope.named_buffers()] == ["inv_freq", "cos_cached", "sin_cached"]
assert len(rope.state_dict()) == 0
print(rope.load_state_dict({}))        # an empty state_dict loads fine: nothing is missing

# %% [markdown]
# ## 8. Why `scaling_factor` is set before `super().__init__`
#
# The dynamic (and linear) `__init__` stores `self.scaling_factor` first and only then calls the
# parent's `__init__` ([upstream-dynamic-init](../SOURCES.md#upstream-dynamic-init),
# [upstream-linear](../SOURCES.md#upstream-linear)). The reason is dynamic dispatch: the parent's
# `__init__` calls `self._set_cos_sin_cache(...)`, and for a subclass instance that is the
# **subclass's override**, which may read `self.scaling_factor`. A plain float may be set before
# `nn.Module.__init__` (only parameters, submodules and buffers may not). We can watch the
# dispatch:

# %%
class Traced(Dynamic):
    def _set_cos_sin_cache(self, seq_len, device, dtype):
        print(f"  {type(self).__name__}._set_cos_sin_cache(seq_len={seq_len}) runs, called from the parent's __init__")
        super()._set_cos_sin_cache(seq_len, device, dtype)


traced = Traced(8, max_position_embeddings=16, scaling_factor=2.0)

# %% [markdown]
# **For the dynamic class the order happens not to matter at init:** the parent builds with
# `seq_len = max_position_embeddings`, and the dynamic branch needs `seq_len > L` strictly, so
# the override never reads `scaling_factor` during construction. **For the linear class it
# does matter:** its builder divides the positions by `scaling_factor` on every call. Two tiny
# subclasses that set it late:

# %%
class LateDynamic(Dynamic):
    def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None, scaling_factor=1.0):
        Rotary.__init__(self, dim, max_position_embeddings, base, device)   # parent first ...
        self.scaling_factor = scaling_factor                                # ... attribute late


class LateLinear(Linear):
    def __init__(self, dim, max_position_embeddings=2048, base=10000, device=None, scaling_factor=1.0):
        Rotary.__init__(self, dim, max_position_embeddings, base, device)
        self.scaling_factor = scaling_factor


late_dynamic = LateDynamic(8, max_position_embeddings=16, scaling_factor=2.0)
cos_late, _ = late_dynamic(torch.zeros(1), seq_len=32)
cos_right, _ = Dynamic(8, max_position_embeddings=16, scaling_factor=2.0)(torch.zeros(1), seq_len=32)
print("LateDynamic builds, and its tables equal the real class's:", torch.equal(cos_late, cos_right))
assert torch.equal(cos_late, cos_right)

try:
    LateLinear(8, max_position_embeddings=16, scaling_factor=2.0)
except AttributeError as exc:
    print("LateLinear: AttributeError:", exc)
    late_error = exc
assert isinstance(late_error, AttributeError) and "scaling_factor" in str(late_error)

# %% [markdown]
# The series' lesson 4.3.1 gives no reason for the order
# ([seed 4.3.1](../SOURCES.md#seed-4-3-1)); the reason is the dispatch above, and for this
# particular class it is a safeguard, not a necessity.
#
# ## Summary
#
# * `forward(x, seq_len)` = cache check (`None` or strictly longer) → slice `[:seq_len]` →
#   `.to(x.dtype)`. The dynamic class inherits it unchanged (`Dynamic.forward is
#   Rotary.forward`) and overrides only `__init__` and `_set_cos_sin_cache`.
# * The slice is a view of the cache (same storage; an in-place write corrupts the cache); the
#   cast copies only when the dtypes differ. The cache keeps the dtype of the call that built it
#   (a bf16-built cache serves float32 requests at bf16 precision: errors up to `2^-9 ~ 0.002`).
# * `x` supplies only device and dtype; `seq_len` is required. Without it upstream raises a
#   `TypeError` whose place depends on the class and on the module's state: `torch.arange(None)`
#   in the standard builder of a fresh module, the dynamic builder's `None >
#   max_position_embeddings` in a fresh dynamic module (the seed's example), the forward's
#   `None > max_seq_len_cached` once a call has cached a length. The package says so with a
#   `ValueError` instead.
# * The buffers are `persistent=False`: not in `state_dict`.
# * `scaling_factor` goes before `super().__init__` because the parent's `__init__` dispatches
#   to the override; it matters for the linear class (AttributeError), not for the dynamic one.
#
# ## Exercises
#
# Each checker answers "not attempted yet", "correct", or what is wrong with a hint. Solutions:
# [solutions/02_inherited_forward.ipynb](solutions/02_inherited_forward.ipynb), to open after trying.
#
# **Exercise 1 (predict).** Without running anything, say where upstream's code fails when
# `forward(x)` is called **without** `seq_len`, in four situations this lesson did not show.
# Answer with one letter per situation:
# **A** `torch.arange(seq_len, ...)` in the cache builder; **B** the forward's own check
# `seq_len > self.max_seq_len_cached`; **C** the dynamic builder's `seq_len >
# self.max_position_embeddings`; **D** no error.
#
# 1. `LinearScalingRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)`, fresh;
# 2. `YarnRotaryEmbedding(64, max_position_embeddings=2048, scaling_factor=2.0)`, fresh (its
#    builder first computes its blended `inv_freq`, which does not use `seq_len`, then the table);
# 3. a `DynamicNTKScalingRotaryEmbedding(64, 2048, scaling_factor=2.0)` that has served one call
#    with `seq_len=3000`, after which someone applied section 3's repair,
#    `module.max_seq_len_cached = None`;
# 4. a fresh `DynamicNTKScalingRotaryEmbedding(64, 2048, scaling_factor=2.0)` whose first call
#    without `seq_len` has just failed, called again without `seq_len`.

# %%
from rope_course.checks.lesson02 import (
    check_failing_expression,
    check_inferred_rows,
    check_returned_bytes,
    check_slice_and_cast,
)

answer = ...  # four letters, one per situation, e.g. ("D", "D", "D", "D")
result = check_failing_expression(answer)

# %% [markdown]
# **Exercise 2 (derive).** A `RotaryEmbedding(64, max_position_embeddings=2048)` has served one
# call, `forward(x32, seq_len=8192)` with a float32 `x32`. Then three calls follow, in this
# order: `forward(x_bf16, seq_len=4096)`, `forward(x32, seq_len=4096)`,
# `forward(x_bf16, seq_len=10000)` (`x_bf16` is bfloat16). For each, how many bytes of tensor
# data do the returned `cos` and `sin` together hold that the module's cache does not already
# hold (a view holds none of its own)? Answer with a tuple of three integers.

# %%
answer = ...  # (bytes of call 1, bytes of call 2, bytes of call 3)
result = check_returned_bytes(answer)

# %% [markdown]
# **Exercise 3 (predict: find the bug).** The series' "fix" makes `seq_len` optional and infers it
# from `x`:
#
# ```python
# def forward_inferring_seq_len(rope, x, seq_len=None):
#     if seq_len is None:
#         seq_len = x.shape[-2]
#     return rope(x, seq_len=seq_len)
# ```
#
# A caller that relies on it makes DeepSeek's attention call at a decoding step: 100 tokens are
# already cached and one new token arrives, `x` is `value_states` of shape
# `(batch, heads, new tokens, v_head_dim) = (1, 128, 1, 128)`, and `apply_rotary_pos_emb` will
# pick rows `position_ids = [[100]]` of the tables. How many rows does the returned `cos` have,
# and how many rows would `apply_rotary_pos_emb` need? Answer `(rows returned, rows needed)`.

# %%
answer = ...  # (rows returned, rows needed)
result = check_inferred_rows(answer)

# %% [markdown]
# **Exercise 4 (implement).** Write the slice-and-cast step for one table: `slice_and_cast(table,
# seq_len, dtype)`. The checker compares values exactly, the dtype, **and** whether your result
# shares storage with `table` (it must when no cast is needed, and cannot when one is).

# %%
def slice_and_cast(table, seq_len, dtype):
    raise NotImplementedError  # your code here


result = check_slice_and_cast(slice_and_cast)
