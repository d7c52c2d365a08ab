# %% [markdown]
# # 02 · The forward the dynamic class inherits
#
# The seed lesson (4.3.3) is about `DynamicNTKScalingRotaryEmbedding.forward`, and says
# correctly that the dynamic class does not override it. This lesson takes that forward apart
# and proves each of its properties with a cell, including two the seed gets wrong: `seq_len`
# is **not** optional, and the seed's own example crashes upstream.
#
# **Learning goals.** After this lesson you can
# 1. name the three steps of the forward: cache check, slice, dtype cast;
# 2. prove from the class objects that the dynamic class inherits `forward` unchanged and
#    overrides only `__init__` and `_set_cos_sin_cache`;
# 3. tell when the returned tensors share memory with the cache (slice = view) and when they
#    are copies (cast to another dtype);
# 4. explain why `x` contributes only its device and dtype, why `seq_len` is required, and why
#    the tables are not in `state_dict`;
# 5. explain why `scaling_factor` is set **before** `super().__init__`, and when that matters.
#
# Facts come from `shared/reference/upstream-rope-facts.md` (§1.1-§1.3, §2.1, §7.2), which reads
# DeepSeek-V3's `modeling_deepseek.py` (intel/auto-round copy, checked against a second copy).

# %%
import inspect

import torch

import rope_course as rc
from rope_course.checks.lesson02 import observe_rebuilds, shares_storage

torch.manual_seed(0)
Rotary, Dynamic, Linear = rc.RotaryEmbedding, rc.DynamicNTKScalingRotaryEmbedding, rc.LinearScalingRotaryEmbedding

# %% [markdown]
# ## 1. The forward in three steps
#
# Upstream's `forward(x, seq_len=None)` (facts §1.3), in words:
#
# 1. **cache check:** if `max_seq_len_cached is None` or `seq_len > max_seq_len_cached`
#    (strictly), call `self._set_cos_sin_cache(seq_len, x.device, x.dtype)`;
# 2. **slice:** take the first `seq_len` rows of `cos_cached` and `sin_cached`;
# 3. **cast:** `.to(dtype=x.dtype)` on each, and return the pair, shape `(seq_len, dim)`.
#
# The package's forward is the same three steps, plus input checks that run before any state
# changes (the only deviation from upstream, on the error path):

# %%
print(inspect.getsource(Rotary.forward))

# %% [markdown]
# ## 2. Proof that the dynamic class inherits it
#
# Python looks a method up along the MRO (method resolution order) and takes the first class
# whose `__dict__` defines it. `Dynamic.__dict__` has no `forward`, so `Dynamic.forward` **is**
# the parent's function object, not a copy. The functions the dynamic class defines itself
# are exactly `__init__` and `_set_cos_sin_cache`, as upstream:

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
# `max_seq_len_cached = None` right after building it (facts §1.1). After that only a strictly
# longer request rebuilds, and the cache then holds **exactly** that many rows. Lesson 03 is
# all about this trigger.
#
# ## 3. Slice = view, cast = copy
#
# `cos_cached[:seq_len]` is a **view**: a new tensor header over the same memory. `.to(dtype)`
# returns the tensor **itself** when the dtype already matches, and a new tensor (a copy) when
# it differs. The cache is built in the dtype of the `x` that triggered the rebuild, so:

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
#   memory) and changes every later call. `apply_rotary_pos_emb` never does that; your own code
#   should not either:

# %%
cos, _ = rope(x32, seq_len=10)
before = rope.cos_cached[0, 0].item()
cos[0, 0] = 123.0                      # an in-place write into the view
print("cos_cached[0, 0] before / after:", before, "/", rope.cos_cached[0, 0].item())
assert rope.cos_cached[0, 0].item() == 123.0
rope.max_seq_len_cached = None         # repair: force a rebuild on the next call

# %% [markdown]
# * The table keeps the dtype of the call that **built** it. A float32 request served from a
#   cache built for bfloat16 returns float32 tensors that carry only bfloat16 precision:

# %%
mixed = Rotary(64, max_position_embeddings=16)
mixed(torch.zeros(1, dtype=torch.bfloat16), seq_len=10)       # builds a bf16 cache
cos_from_bf16, _ = mixed(torch.zeros(1), seq_len=10)          # float32 request, no rebuild
cos_true, _ = Rotary(64, max_position_embeddings=16)(torch.zeros(1), seq_len=10)
err = (cos_from_bf16 - cos_true).abs().max().item()
print(f"returned dtype {cos_from_bf16.dtype}, largest error against a float32 table: {err:.4f}")
assert cos_from_bf16.dtype == torch.float32 and 1e-3 < err < 4e-3

# %% [markdown]
# ## 4. `x` gives only its device and dtype
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
# In DeepSeek-V3's attention `x` is `value_states` and `seq_len` is `kv_seq_len` = past + new
# tokens (facts §1.5): the attention **always** passes `seq_len`.
#
# ## 5. `seq_len` is required (the seed's own example crashes upstream)
#
# The seed calls `rope(x_short)` and `rope(x_long)` without `seq_len`, and the series' L4.1.3
# says `seq_len` is optional and inferred from `x.shape[-2]` (facts §7.2 item 1). Upstream never
# infers it. With `seq_len=None`:
#
# * on a fresh module the cache check is true (`max_seq_len_cached is None`), the builder runs,
#   and `torch.arange(None, ...)` raises a `TypeError`;
# * after any earlier call the check evaluates `None > int`, also a `TypeError`.
#
# Those are the two expressions upstream would evaluate; here they are on their own:

# %%
for expression in ("torch.arange(None)", "None > 5"):
    try:
        eval(expression)
    except TypeError as exc:
        print(f"{expression:20s} -> TypeError: {str(exc).splitlines()[0]}")

# %% [markdown]
# The package raises a `ValueError` that says what upstream requires instead, before touching
# any state. The seed's example, as written:

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

cos_short, sin_short = rope(x_short, seq_len=x_short.shape[-2])   # what the caller must do
print("with seq_len=1000:", tuple(cos_short.shape))
assert cos_short.shape == (1000, 64)

# %% [markdown]
# (What the seed's example does once `seq_len` is passed, short call then long call, and why the
# short call's table depends on history, is lesson 05.)
#
# ## 6. The buffers are not saved: `persistent=False`
#
# `inv_freq`, `cos_cached` and `sin_cached` are registered with `persistent=False` (facts §1.1,
# §1.2): they are buffers (they follow `.to(device)`), but `state_dict()` leaves them out; they
# are recomputed from the config. The series' L4.1.1 teaching says they are "saved in
# state_dict" (facts §7.2 item 12; its own tasks file says the opposite):

# %%
print("buffers:", [name for name, _ in rope.named_buffers()])
print("state_dict keys:", list(rope.state_dict().keys()))
assert [name for name, _ in rope.named_buffers()] == ["inv_freq", "cos_cached", "sin_cached"]
assert len(rope.state_dict()) == 0
print(rope.load_state_dict({}))        # an empty state_dict loads fine: nothing is missing

# %% [markdown]
# ## 7. Why `scaling_factor` is set before `super().__init__`
#
# The dynamic (and linear) `__init__` stores `self.scaling_factor` first and only then calls the
# parent's `__init__`. The reason is dynamic dispatch (facts §2.1): the parent's `__init__`
# calls `self._set_cos_sin_cache(...)`, and for a subclass instance that is the **subclass's
# override**, which may read `self.scaling_factor`. A plain float may be set before
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
# The series' L4.3.1 gives no reason for the order (facts §7.2 item 18); the reason is the
# dispatch above, and for this particular class it is a safeguard, not a necessity.
#
# ## Summary
#
# * `forward(x, seq_len)` = cache check (`None` or strictly longer) → slice `[:seq_len]` →
#   `.to(x.dtype)`. The dynamic class inherits it unchanged (`Dynamic.forward is
#   Rotary.forward`) and overrides only `__init__` and `_set_cos_sin_cache`.
# * The slice is a view of the cache (same storage; an in-place write corrupts the cache); the
#   cast copies only when the dtypes differ. The cache keeps the dtype of the call that built it
#   (a bf16-built cache serves float32 requests at bf16 precision, error ~2e-3).
# * `x` supplies only device and dtype; `seq_len` is required (upstream: `TypeError`; here: a
#   `ValueError` that says so). The seed's `rope(x_short)` fails.
# * The buffers are `persistent=False`: not in `state_dict`.
# * `scaling_factor` goes before `super().__init__` because the parent's `__init__` dispatches
#   to the override; it matters for the linear class (AttributeError), not for the dynamic one.
#
# ## Exercises
#
# Solutions: `lessons/solutions/02_inherited_forward.ipynb`.
#
# **Exercise 1.** Write the cache check: `will_rebuild(max_seq_len_cached, seq_len)` returns
# `True` when the forward would call `_set_cos_sin_cache`.

# %%
from rope_course.checks.lesson02 import check_rebuild_pattern, check_slice_and_cast, check_will_rebuild


def will_rebuild(max_seq_len_cached, seq_len):
    raise NotImplementedError  # your code here


result = check_will_rebuild(will_rebuild)

# %% [markdown]
# **Exercise 2.** Write the slice-and-cast step for one table: `slice_and_cast(table, seq_len,
# dtype)`. The checker compares values exactly, the dtype, **and** whether your result shares
# storage with `table` (it must when no cast is needed, and cannot when one is).

# %%
def slice_and_cast(table, seq_len, dtype):
    raise NotImplementedError  # your code here


result = check_slice_and_cast(slice_and_cast)

# %% [markdown]
# **Exercise 3.** Predict, without running a module: for a **fresh** `RotaryEmbedding(8,
# max_position_embeddings=16)` called with the lengths in `seq_lens`, one after another, which
# calls rebuild the cache? Return a list of bools. (The checker asks a real module.)

# %%
def rebuild_pattern(seq_lens):
    raise NotImplementedError  # your code here


result = check_rebuild_pattern(rebuild_pattern)
