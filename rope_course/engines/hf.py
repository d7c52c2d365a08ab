"""A thin, explicit adapter to the rotary module of the *installed* `transformers`.

The course drives Hugging Face's own code, not only its model of it (`hf_rule.HFDynamicRope`):
the native DeepSeek-V3 port's `DeepseekV3RotaryEmbedding`, whose forward is wrapped by
`dynamic_rope_update` (SOURCES.md#hf-37249). Two config APIs exist:

* transformers 5: `rope_parameters={"rope_type": "dynamic", "factor": s, "rope_theta": b}`;
* transformers 4: `rope_theta=b` and `rope_scaling={"rope_type": "dynamic", "factor": s}`.

`config_api()` finds out which one the installed version understands by building a config
each way and checking that the rotary module built from it really is the dynamic one with the
requested base and factor. If neither works it raises `RuntimeError` naming the version: the
course never falls back silently, and its tests never turn this into a skip.

The supported range is `TESTED_RANGE`; releases 5.0.0 to 5.12.x are outside it because their
reset never runs (SOURCES.md#hf-46624; `hf_rule` models that bug with `lost_reset=True`).
"""

from __future__ import annotations

import functools
import importlib

import torch

from .._validate import check_base, check_dim, check_int, check_max_position_embeddings, check_scaling_factor
from .hf_rule import check_position_ids

__all__ = [
    "TESTED_RANGE",
    "transformers_version",
    "config_api",
    "dynamic_config",
    "InstalledHFRotary",
]

# The range pyproject.toml and environment.yml require (tests/test_project.py checks they agree).
# tests/test_hf_oracle.py, tests/test_hf_reset.py, tests/test_engines_parity.py and the reset test
# in tests/test_engines.py ran green against 5.13.0 and 5.24.0 (and, checked once by hand, against
# 4.52.4 and 4.57.6, which is why the v4 config API is still detected); on 5.0.0 the reset and
# parity tests fail, as they should (SOURCES.md#hf-release-wheels): 5.0-5.12 lose the reset
# (5.8.1-5.12.1 checked, 5.1-5.7 not opened), and 5.0.0's module equals
# `hf_rule.HFDynamicRope(..., lost_reset=True)` bit for bit (cos, sin, inv_freq, max_seq_len_cached
# over random prefills and batched decode steps; checked outside the suite, as only one version
# can be installed at a time).
TESTED_RANGE = ">=5.13,<6"


def _transformers():
    try:
        return importlib.import_module("transformers")
    except ImportError as exc:  # a runtime dependency: say so instead of skipping
        raise ImportError(
            "rope_course.engines.hf needs the `transformers` package (a runtime dependency of the "
            f"course, {TESTED_RANGE}); install the course with `make install` or `pip install -e .`"
        ) from exc


def transformers_version() -> str:
    return _transformers().__version__


def _modeling():
    _transformers()
    return importlib.import_module("transformers.models.deepseek_v3.modeling_deepseek_v3")


def _classes():
    modeling = _modeling()  # first, for its clear message when transformers is missing
    config_mod = importlib.import_module("transformers.models.deepseek_v3.configuration_deepseek_v3")
    return config_mod.DeepseekV3Config, modeling.DeepseekV3RotaryEmbedding


def _build_config(api: str, dim: int, max_position_embeddings: int, base: float, scaling_factor: float,
                  rope_fields=None, **sizes):
    """A DeepseekV3Config of rope type "dynamic" in one config API. `rope_fields` are further keys
    of the rope dict (e.g. a released config's `mscale_all_dim`); `sizes` other config fields."""
    config_cls, _ = _classes()
    common = dict(qk_rope_head_dim=dim, max_position_embeddings=max_position_embeddings, **sizes)
    rope = {"rope_type": "dynamic", "factor": scaling_factor, **(rope_fields or {})}
    if api == "rope_parameters":
        return config_cls(**common, rope_parameters={**rope, "rope_theta": base})
    return config_cls(**common, rope_theta=base, rope_scaling=rope)


def _is_dynamic_module(module, dim: int, base: float) -> bool:
    expected = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float) / dim))
    rope_type = getattr(module, "rope_type", None)
    return (
        isinstance(rope_type, str) and "dynamic" in rope_type
        and hasattr(module, "original_inv_freq") and hasattr(module, "max_seq_len_cached")
        and tuple(module.inv_freq.shape) == (dim // 2,)
        and bool(torch.allclose(module.inv_freq.float(), expected, rtol=1e-6, atol=0))
    )


@functools.lru_cache(maxsize=1)
def config_api() -> str:
    """"rope_parameters" (transformers 5) or "rope_scaling" (transformers 4), checked by building
    a dynamic config each way; `RuntimeError` if neither gives a dynamic rotary module."""
    _, rotary_cls = _classes()
    problems = []
    # A base other than transformers' default (10000), so that a silently ignored rope_theta fails.
    probe_base = 500.0
    for api in ("rope_parameters", "rope_scaling"):
        try:
            module = rotary_cls(_build_config(api, 8, 16, probe_base, 2.0))
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            problems.append(f"{api}: {type(exc).__name__}: {exc}")
            continue
        if _is_dynamic_module(module, 8, probe_base):
            return api
        problems.append(f"{api}: built a module of rope_type {getattr(module, 'rope_type', None)!r} that is not "
                        f"dynamic NTK with rope_theta {probe_base:g}")
    raise RuntimeError(
        f"transformers {transformers_version()}: neither config API builds a dynamic-NTK DeepseekV3RotaryEmbedding "
        f"({'; '.join(problems)}). The course is tested with transformers {TESTED_RANGE}."
    )


def dynamic_config(dim, max_position_embeddings, base=10000.0, scaling_factor=1.0, rope_fields=None, **sizes):
    """A `DeepseekV3Config` of rope type "dynamic", in the installed version's config API."""
    dim = check_dim(dim, minimum=4)
    max_position_embeddings = check_max_position_embeddings(max_position_embeddings)
    base = check_base(base)
    scaling_factor = check_scaling_factor(scaling_factor)
    if rope_fields is not None and not isinstance(rope_fields, dict):
        raise TypeError(f"rope_fields must be a dict of further rope keys, got {type(rope_fields).__name__}")
    return _build_config(config_api(), dim, max_position_embeddings, base, scaling_factor, rope_fields, **sizes)


# Small sizes for an attention layer whose softmax scale is wanted: the scale depends only on the
# q/k head dims and the rope fields, and the real V3 sizes would allocate hundreds of MB of weights.
_SMALL_ATTENTION = dict(hidden_size=64, num_attention_heads=1, q_lora_rank=16, kv_lora_rank=16, v_head_dim=16)


class InstalledHFRotary:
    """The installed `DeepseekV3RotaryEmbedding` of rope type "dynamic", driven with position ids.

    `rope_fields` are further keys of the rope dict, for example a released config's YaRN keys
    when that config is switched to "dynamic" (`softmax_scale_factor` reads `mscale_all_dim`)."""

    def __init__(self, dim, max_position_embeddings=2048, base=10000.0, scaling_factor=1.0, rope_fields=None):
        _, rotary_cls = _classes()
        self.config = dynamic_config(dim, max_position_embeddings, base, scaling_factor, rope_fields)
        self.module = rotary_cls(self.config)
        self.dim = dim
        self._args = (dim, max_position_embeddings, base, scaling_factor, rope_fields)

    def softmax_scale_factor(self, qk_nope_head_dim: int = 128) -> float:
        """The installed `DeepseekV3Attention`'s softmax scale for this config's rope fields,
        divided by q_head_dim^-1/2 (q_head_dim = qk_nope_head_dim + dim)."""
        qk_nope_head_dim = check_int("qk_nope_head_dim", qk_nope_head_dim, 1)
        config = dynamic_config(*self._args, qk_nope_head_dim=qk_nope_head_dim, **_SMALL_ATTENTION)
        attention = _modeling().DeepseekV3Attention(config, layer_idx=0)
        return float(attention.scaling) * (qk_nope_head_dim + self.dim) ** 0.5

    def forward(self, position_ids, dtype=torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
        """(cos, sin), each (batch, q_len, dim): what the decorated forward returns."""
        position_ids = check_position_ids(position_ids)
        x = torch.zeros(1, dtype=dtype)
        return self.module(x, position_ids)

    @property
    def inv_freq(self) -> torch.Tensor:
        return self.module.inv_freq

    @property
    def original_inv_freq(self) -> torch.Tensor:
        return self.module.original_inv_freq

    @property
    def max_seq_len_cached(self) -> int:
        return int(self.module.max_seq_len_cached)  # a 0-d tensor after growth

    @property
    def attention_scaling(self) -> float:
        return float(self.module.attention_scaling)
