"""Models of how other engines run the same `rope_scaling: dynamic` (lesson 11).

* `hf_rule`: Hugging Face's growth/reset rule (`dynamic_rope_update`), bit-identical to the
  installed module, including the 5.0-5.12 lost reset;
* `hf`: a thin adapter that builds and drives the *installed* transformers module (importing
  `transformers` loads PIL, so only this module is outside the widget-free core's import test);
* `vllm`: vLLM's one base per engine, before and after its 2026 fix;
* `batching`: one length per batch (DeepSeek's kv_seq_len, HF's max position id) vs per request;
* `traps`: the DeepSeek-V3 / Kimi-K2 config traps, run on the presets;
* `differences`: every known difference as one table of named, measured cases.

Nothing here imports ipywidgets, matplotlib, PIL or IPython, and `transformers` is imported
only by `hf` when it is used.
"""

from . import batching, differences, hf_rule, traps, vllm
from .differences import ENGINE_DIFFERENCES, format_table, measured_table
from .hf_rule import HFDynamicRope
from .vllm import VLLMDynamicNTK

__all__ = [
    "batching", "differences", "hf_rule", "traps", "vllm",
    "ENGINE_DIFFERENCES", "format_table", "measured_table", "HFDynamicRope", "VLLMDynamicNTK",
]
