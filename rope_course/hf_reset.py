"""Compatibility name: the model of Hugging Face's dynamic-NTK rule now lives in
`rope_course.engines.hf_rule` (with batched position ids and the 5.0-5.12 lost reset).
Lesson 05 and its checkers import these names from here."""

from .engines.hf_rule import HFDynamicRope, deepseek_base_after, hf_base_after

__all__ = ["HFDynamicRope", "hf_base_after", "deepseek_base_after"]
