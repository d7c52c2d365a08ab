"""rope_course: a faithful, tested reference of DeepSeek-V3's rotary embeddings, for the course.

The lessons in `lessons/` import everything from here. Math lives in `functional` (pure
functions), state in `rotary` and `yarn` (modules), configs in `presets`, widgets in
`explorers`, exercise checkers in `checks`.
"""

from .functional import (
    apply_rotary_pos_emb,
    cos_sin_tables,
    cos_sin_tables_upstream,
    deinterleave,
    dynamic_ntk_base,
    inv_freq_for_base,
    longest_wavelength,
    ntk_bracket,
    rotate_half,
)
from .presets import rotary_from_config
from .rotary import DynamicNTKScalingRotaryEmbedding, LinearScalingRotaryEmbedding, RotaryEmbedding
from .yarn import YarnRotaryEmbedding

__version__ = "0.1.0"

__all__ = [
    "RotaryEmbedding",
    "DynamicNTKScalingRotaryEmbedding",
    "LinearScalingRotaryEmbedding",
    "YarnRotaryEmbedding",
    "rotary_from_config",
    "dynamic_ntk_base",
    "ntk_bracket",
    "inv_freq_for_base",
    "cos_sin_tables",
    "cos_sin_tables_upstream",
    "rotate_half",
    "deinterleave",
    "apply_rotary_pos_emb",
    "longest_wavelength",
]
