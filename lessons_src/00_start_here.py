# %% [markdown]
# # 00 · Start here
#
# This course teaches one class precisely: the **Dynamic NTK-scaled rotary embedding** in
# DeepSeek-V3's `modeling_deepseek.py` (the file Kimi-K2 ships too), starting from a lesson
# ("4.3.3", the *seed*, [seed 4.3.3](../SOURCES.md#seed-4-3-3)) that gets several things wrong,
# and correcting it with numbers you can rerun. Every source the course cites is listed in
# [SOURCES.md](../SOURCES.md).
#
# **In this notebook** (a few seconds, nothing to learn yet about RoPE):
# 1. check that the environment is the right one (Python, torch, widgets), and see where your
#    work is saved;
# 2. check that sliders render, and learn how to move them;
# 3. see the course map: twelve notebooks, 00 to 11;
# 4. see how exercises and their checkers work, how to see your progress, and what the course's
#    own tests check.
#
# Run the cells from top to bottom (Shift+Enter, or *Run > Run All Cells*).

# %% [markdown]
# ## 1. The environment
#
# The versions and the interpreter path below depend on your machine (this cell is not compared
# by the notebook tests). `sys.executable` should point into this repository's `.venv` (or your
# conda environment); if it does not, the notebook runs in the wrong kernel: see the
# troubleshooting section of the [README](../README.md#troubleshooting).

# %%
# NBVAL_IGNORE_OUTPUT
import sys

import ipywidgets
import matplotlib
import torch

import rope_course

print("python     ", sys.version.split()[0])
print("executable ", sys.executable)
print("torch      ", torch.__version__)
print("ipywidgets ", ipywidgets.__version__)
print("matplotlib ", matplotlib.__version__)
print("rope_course", rope_course.__version__, "from", rope_course.__file__)

# %% [markdown]
# The checks that matter, as assertions (a failure here names the fix):

# %%
import importlib.util
from pathlib import Path

# rope_course must come from this repository (the editable install), not from a stale copy.
here = Path.cwd().resolve()
repo = next((p for p in (here, *here.parents)
             if (p / "pyproject.toml").is_file() and (p / "rope_course").is_dir()), None)
package_dir = Path(rope_course.__file__).resolve().parent
if repo is not None:
    assert package_dir == repo / "rope_course", (
        f"this kernel imports rope_course from {package_dir}, not from {repo}: "
        "start JupyterLab with `make lab` or pick the .venv kernel (README, troubleshooting)")
    print("rope_course is imported from this repository")
else:
    print("this notebook is a copy outside the repository; rope_course imported fine")

# torch computes: arange(4) . arange(4) = 0 + 1 + 4 + 9
t = torch.arange(4.0)
dot = (t @ t).item()
print("torch works: arange(4) . arange(4) =", dot)
assert dot == 14.0

# widgets: ipywidgets 8 and its JupyterLab extension
assert int(ipywidgets.__version__.split(".")[0]) >= 8, "ipywidgets 8 is needed (README, troubleshooting)"
assert importlib.util.find_spec("jupyterlab_widgets") is not None, "jupyterlab_widgets is missing"
print("ipywidgets 8 and jupyterlab_widgets are installed")

# %% [markdown]
# ### Where your work lives
#
# `make lab` does not open the course's own notebooks. It copies them into a **workspace**
# (`workspace/` at the top of the checkout unless you chose another with `WORKSPACE=...`; git
# ignores it) and serves that: your lessons are in `workspace/lessons/`, the solutions in
# `workspace/lessons/solutions/`. Whatever you type and save stays there. The course's
# `lessons/` folder is never written to, so updating the course (`git pull`, then `make lab`)
# cannot conflict with your answers or overwrite them:
#
# * `make lab` copies in lessons that are new and brings a copy you never changed up to date; a
#   copy you changed is left as it is, and if the course has a newer version of it, `make lab`
#   says so and prints the command that gets it (the next line);
# * `make reset-lesson LESSON=03` moves your copy of lesson 03 to `workspace/backups/<date-time>/`
#   and puts a fresh one in its place (nothing is ever deleted);
# * `make progress` lists every exercise of your lessons with its status (section 4).
#
# The next cell tells you which copy this notebook is. Run it: until you do, every copy shows the
# line saved when the course was built, in `lessons/` (its output depends on where it runs, so
# the notebook tests do not compare it):

# %%
# NBVAL_IGNORE_OUTPUT
manifest = Path.cwd().parent / ".course-manifest.json"   # tools/workspace.py records your copies there
if manifest.is_file():
    print("This is your copy, in the workspace", Path.cwd().parent, "- your saved answers stay here.")
elif repo is not None and here == repo / "lessons":
    print("Running in the course's own lessons/ folder, where the course is built and tested: answers typed",
          "here are not kept apart from the course; `make lab` gives you a workspace. (Every copy shows this",
          "saved line until its cell is run.)")
else:
    print("This notebook runs outside a workspace made by `make lab`:", here)

# %% [markdown]
# ## 2. Sliders
#
# Most lessons have an *explorer*: sliders above a picture, with a readout of the key numbers.
# Below you should see two sliders, `seq_len` and `scaling_factor`, a line of numbers, and a
# plot.
#
# **If you see a line of text instead** after running the cell (*Interactive explorer: run this
# cell for live sliders ...*, or a message that the widget could not be displayed), the widget
# extension is not active in this JupyterLab, or the kernel is not the course's environment.
# (Before a cell has run, that line and the saved picture are what a notebook shows: run the
# cell.) The fix is in the
# [README's troubleshooting section](../README.md#troubleshooting) (in short: start with
# `make lab`, and choose the kernel of `.venv`). Everything else in the course still works
# without sliders: every number is also computed in a cell.
#
# **How to move a slider:** drag its handle with the mouse, or click the handle once and press
# **ArrowRight / ArrowLeft**: each press moves one notch. `seq_len` moves through about four
# lengths per doubling, from 1 to 131072; `scaling_factor` moves in steps of 0.25 from 1 to 16.
#
# This one previews lesson 04: the **base** the dynamic class uses for a request of `seq_len`
# tokens, with `max_position_embeddings = 4096` (dashed line) and `dim = 64`. Up to 4096 the
# base stays 10000; past it the base grows. Try `scaling_factor` at a `seq_len` below and above
# 4096.

# %%
from rope_course.explorers.preview import DynamicBasePreview

explorer = DynamicBasePreview()
explorer.show()

# %% [markdown]
# An explorer's numbers are not hidden in the widget: each has a pure `compute` function you can
# call with slider values. These are the numbers the readout shows for a few positions of the
# sliders, checked against the package function they come from:

# %%
import rope_course as rc

for seq_len, scaling_factor in [(4096, 1.0), (4097, 1.0), (8192, 1.0), (8192, 2.0)]:
    new_base = DynamicBasePreview.compute(seq_len=seq_len, scaling_factor=scaling_factor)["new_base"]
    print(f"seq_len={seq_len:5d}  scaling_factor={scaling_factor}:  base = {new_base:.1f}")
    assert new_base == rc.dynamic_ntk_base(10000, 64, seq_len, 4096, scaling_factor)

assert DynamicBasePreview.compute(seq_len=4096, scaling_factor=1.0)["new_base"] == 10000   # up to L: unchanged
assert round(DynamicBasePreview.compute(seq_len=8192, scaling_factor=1.0)["new_base"], 1) == 20452.2
assert round(DynamicBasePreview.compute(seq_len=8192, scaling_factor=2.0)["new_base"], 1) == 31082.2

# %% [markdown]
# Note already: with `scaling_factor = 1` the base still changes past 4096 (20452 at 8192). The
# series' lesson 4.3.1 says "For s=1, no change" ([seed 4.3.1](../SOURCES.md#seed-4-3-1)); lesson
# 04 shows why that is false.
#
# ## 3. The course map
#
# One concept per notebook; each runs top to bottom in seconds. 01 to 05 are the core: they
# take the seed lesson apart. 06 to 11 go further.
#
# * **[00 start_here](00_start_here.ipynb)**: this page: environment, sliders, the map, checkers.
# * **[01 rope_refresher](01_rope_refresher.ipynb)**: `inv_freq` and its order (index 0 = highest
#   frequency), the `cat(freqs, freqs)` table, `rotate_half`, DeepSeek's de-interleave, the
#   relative-position property, the clock picture.
# * **[02 inherited_forward](02_inherited_forward.ipynb)**: the forward (cache check, slice, cast)
#   that the dynamic class inherits unchanged; views vs copies; why `seq_len` is required; a call
#   inspector.
# * **[03 cache_trigger](03_cache_trigger.ipynb)**: when the cache is rebuilt: the init cache thrown
#   away, the strict `>`, exact-length rebuilds, a rebuild at every decode step.
# * **[04 dynamic_base](04_dynamic_base.ipynb)**: the dynamic base formula, the bracket
#   `a(l) = 1 + s(l/L - 1)`, continuity at `L`, why the exponent is `D/(D-2)`.
# * **[05 dynamic_forward](05_dynamic_forward.ipynb)**: the whole path end to end, the seed's
#   example done right, history dependence and Hugging Face's later reset rule.
# * **[06 attention](06_attention.ipynb)**: the rotation inside attention: score against distance,
#   trained range vs extrapolation vs dynamic NTK.
# * **[07 generation_kv_cache](07_generation_kv_cache.ipynb)**: keys cached after RoPE: the base
#   drifts while decoding, prefill and decode disagree, and the fix.
# * **[08 precision_and_cost](08_precision_and_cost.ipynb)**: float32 angles at 100k+ positions,
#   bf16 positions, what a rebuild costs, a faster bit-identical rebuild.
# * **[09 real_models_and_next](09_real_models_and_next.ipynb)**: DeepSeek-V3 and Kimi-K2 configs
#   select YaRN, not dynamic NTK; linear vs NTK vs dynamic vs YaRN side by side.
# * **[10 does_it_extrapolate](10_does_it_extrapolate.ipynb)**: tiny RoPE models trained here at
#   context `L`, evaluated to `8L` under each scaling method.
# * **[11 engines_and_serving](11_engines_and_serving.ipynb)**: the same `rope_scaling` in the real
#   transformers module, in vLLM and in DeepSeek's class; batching and padding; the traps in the
#   real configs.
#
# The notebooks present in this folder (the output depends on the checkout, so the notebook
# tests do not compare it):

# %%
# NBVAL_IGNORE_OUTPUT
COURSE_MAP = {
    "00": "start_here", "01": "rope_refresher", "02": "inherited_forward", "03": "cache_trigger",
    "04": "dynamic_base", "05": "dynamic_forward", "06": "attention", "07": "generation_kv_cache",
    "08": "precision_and_cost", "09": "real_models_and_next", "10": "does_it_extrapolate",
    "11": "engines_and_serving",
}
found = sorted(p.name for p in Path.cwd().glob("[0-9][0-9]_*.ipynb"))
for number, name in COURSE_MAP.items():
    filename = f"{number}_{name}.ipynb"
    print(f"{'found  ' if filename in found else 'missing'}  {filename}")
assert sorted(COURSE_MAP) == [f"{n:02d}" for n in range(12)]                 # the map is complete, 00 to 11
assert "00_start_here.ipynb" in found, "run this notebook from the lessons/ folder"
assert all(f[:2] in COURSE_MAP and f == f"{f[:2]}_{COURSE_MAP[f[:2]]}.ipynb" for f in found), found

# %% [markdown]
# Solutions to the exercises live in the [`solutions/`](solutions/) folder next to this notebook,
# one notebook per lesson, to open deliberately after trying.
#
# ## 4. Exercises and checkers
#
# Two helpers from `rope_course.checks` appear throughout.
#
# **`compare(name, got, expected)`** prints one line: is `got` *exactly* `expected`, is it
# *close* (within a relative tolerance of 1e-5), and the *largest absolute difference*:

# %%
from rope_course.checks import compare

a = torch.linspace(1, 2, 5)
compare("a vs a copy", a, a.clone())               # exact
compare("a vs a + 1e-6", a, a + 1e-6)              # close, not exact
line = compare("a vs a + 0.01", a, a + 0.01)       # neither: max diff 0.01
assert "exact: False | close: False" in line       # compare also returns its line

# %% [markdown]
# **Exercise checkers.** The lessons' exercises come in two kinds, each with its checker:
#
# * *predict, derive or find the bug*: you replace `answer = ...` with a value (a number, a
#   tuple, True/False, ...) and run the checker cell below it, for example
#   `check_table_angle(answer)` in lesson 01; it calls `check_answer(name, answer, expected)`;
# * *write a function*: a function whose body is `raise NotImplementedError`, checked on the
#   checker's own inputs; the lesson's checker calls `check_exercise(name, your_function,
#   reference, cases)`.
#
# Either checker answers one of three things: *not attempted yet*, *correct*, or what is wrong
# (which input, or why the value is not it) followed by a **hint**, a nudge that never gives the
# answer away. The expected values and references live in the checker modules
# (`rope_course/checks/lessonNN.py`), not on the page.
#
# A demonstration with a warm-up question, calling the two general checkers directly: the
# wavelength in tokens of rotary pair `i`, `2*pi * base^(2i/dim)` (lesson 01). Every lesson's
# checker prints its message and records its result for `make progress`, the list of your
# exercises and their status. These demonstrations are not exercises, so they pass
# `quiet=True`: nothing is printed or recorded, and the cells print the messages themselves.

# %%
import math

from rope_course.checks import Case, check_answer, check_exercise


def reference_wavelength(i, base, dim):
    return 2 * math.pi / rc.inv_freq_for_base(base, dim)[i].item()


CASES = [Case((0, 10000, 64), label="pair 0, base 10000, dim 64"),
         Case((31, 10000, 64), label="pair 31, base 10000, dim 64")]
HINT = "a full turn is 2*pi radians"


def wavelength(i, base, dim):
    raise NotImplementedError  # your code here


first = check_exercise("wavelength (demo)", wavelength, reference_wavelength, CASES, hint=HINT, quiet=True)
print(first.message)


def wavelength(i, base, dim):            # an attempt that forgets the 2*pi
    return base ** (2 * i / dim)


second = check_exercise("wavelength (demo)", wavelength, reference_wavelength, CASES, hint=HINT, quiet=True)
print(second.message)


def wavelength(i, base, dim):            # right
    return 2 * math.pi * base ** (2 * i / dim)


third = check_exercise("wavelength (demo)", wavelength, reference_wavelength, CASES, hint=HINT, quiet=True)
print(third.message)
assert (first.status, second.status, third.status) == ("not attempted yet", "wrong", "correct")
assert "pair 0, base 10000, dim 64" in second.message and "Hint:" in second.message

# %% [markdown]
# The same question as a prediction: how many tokens does pair 0 take for one full turn? A stub,
# a wrong answer and a right one (the checker accepts any numeric type, and compares a float
# with a relative tolerance):

# %%
answers = [..., 6, 2 * math.pi]
results = [check_answer("wavelength of pair 0 (demo)", answer, 2 * math.pi,
                        hint="pair 0 turns by 1 radian per token", quiet=True) for answer in answers]
for result in results:
    print(result.message)
assert [r.status for r in results] == ["not attempted yet", "wrong", "correct"]
assert "Hint:" in results[1].message and "6.28" not in results[1].message   # the hint, never the answer

# %% [markdown]
# An unattempted exercise never raises, so every lesson runs top to bottom before you have
# touched anything.
#
# **Your progress.** Save your notebooks, then run `make progress` from the repository root: it
# runs each of your workspace lessons headless on a fresh kernel, in a temporary copy (your files
# are never written), and prints a table of every exercise with its status (correct; wrong, with
# the checker's message; not attempted; or error, when the checker's cell raised, typically
# because a cell before it failed), then one summary line; the solutions are not part of it.
# `make progress LESSON=03` runs one lesson. The statuses come from the checkers themselves, not
# from printed text.
#
# ## 5. The course's own checks (not your answers)
#
# Every notebook of the course is tested: the pristine copy in `lessons/` is re-executed on a
# fresh kernel, with every output compared to the saved one (`nbval`), so a wrong change to the
# package makes the lesson that states the number fail. These tests check the course as shipped,
# not your work: the course's saved notebooks show "not attempted yet" for every exercise, so the
# same test run on your copy would report your correct answers as differences. For your answers, use
# `make progress`. From the repository root, for one lesson of the course:
#
# ```bash
# .venv/bin/python -m pytest --nbval --nbval-current-env \
#     --nbval-sanitize-with lessons/nbval_sanitize.cfg lessons/03_cache_trigger.ipynb
# ```
#
# For all of them, `make test-lessons`; for everything (package tests, lessons, and a browser
# test that drags the sliders), `make test`.
#
# Next: [01 · RoPE refresher](01_rope_refresher.ipynb).
