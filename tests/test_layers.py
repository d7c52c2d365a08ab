"""The core never needs the widget stack: math, modules, engine models, simulations and checkers
import and run, in a fresh interpreter, without loading ipywidgets, matplotlib, PIL or IPython.
Only `rope_course.explorers` may import them."""

import pkgutil
import subprocess
import sys

import rope_course

WIDGET_STACK = ("ipywidgets", "matplotlib", "PIL", "IPython")


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(rope_course.__path__, prefix="rope_course."):
        if info.name == "rope_course.explorers" or info.name.startswith("rope_course.explorers."):
            continue
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue
        names.append(info.name)
    return sorted(names)


USE_THE_CORE = """
import importlib, sys
for name in {modules!r}:
    importlib.import_module(name)

import torch
import rope_course as rc
from rope_course import calls, checks, presets
from rope_course.attention import decode, make_attention

base = rc.dynamic_ntk_base(10000, 64, 8192, 4096, 2.0)
rope = rc.DynamicNTKScalingRotaryEmbedding(64, 4096, scaling_factor=2.0)
cos, sin = rope(torch.zeros(1), seq_len=8192)
assert calls.count_rebuilds([5, 6, 6, 7]) == 3
yarn = rc.rotary_from_config(presets.DEEPSEEK_V3.to_config())
yarn(torch.zeros(1), seq_len=16)
out = decode(make_attention(dim=8, max_position_embeddings=4, hidden_size=8), torch.randn(1, 6, 8), 2)
checks.check_answer("n", 3, 3, quiet=True)
checks.check_exercise("f", lambda x: x, lambda x: x, [checks.Case((1,))], quiet=True)
loaded = sorted(top for top in {widget_stack!r} if top in sys.modules)
assert not loaded, "the core loaded " + ", ".join(loaded)
print("ok", len({modules!r}))
"""


def test_core_modules_are_found():
    modules = core_modules()
    for expected in ("rope_course.functional", "rope_course.rotary", "rope_course.calls", "rope_course.checks",
                     "rope_course.checks._core", "rope_course.presets", "rope_course.yarn", "rope_course.attention"):
        assert expected in modules
    assert not any(m.startswith("rope_course.explorers") for m in modules)


def test_core_runs_without_the_widget_stack():
    modules = core_modules()
    code = USE_THE_CORE.format(modules=modules, widget_stack=WIDGET_STACK)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["ok", str(len(modules))]
