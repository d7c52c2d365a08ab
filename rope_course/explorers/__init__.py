"""Interactive explorers (ipywidgets + matplotlib). Math in pure `compute` functions; see base.py.

Every module in this package is imported here, so `REGISTRY` lists every explorer.
"""

import importlib
import pkgutil

from . import style
from .base import (
    REGISTRY,
    Explorer,
    choice_buttons,
    format_number,
    int_choice_slider,
    log_spaced_ints,
    scaling_factor_slider,
    seq_len_slider,
)

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "style"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "style",
    "REGISTRY",
    "Explorer",
    "choice_buttons",
    "format_number",
    "int_choice_slider",
    "log_spaced_ints",
    "scaling_factor_slider",
    "seq_len_slider",
]
