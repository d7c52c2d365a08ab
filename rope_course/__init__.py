"""rope_course: a faithful, tested reference of DeepSeek-V3's rotary embeddings, for the course.

The lessons in `lessons/` import everything from here. Math lives in `functional` (pure
functions), state in `rotary` and `yarn` (modules), configs in `presets`, the rebuild-rule
simulation in `calls`, widgets in `explorers`, exercise checkers in `checks`. The package's top
level offers every pure function of `functional` and the four upstream module classes.
"""

from . import functional
from ._validate import upstream_errors
from .functional import *  # noqa: F403  (exactly functional.__all__)
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
    "upstream_errors",
    *functional.__all__,
]
