"""Lesson 10's toy: a tiny RoPE transformer trained here on associative recall at context L,
evaluated past L under the course's scaling variants. See `train.py`, `eval.py`."""

from .data import TaskSpec, make_batch
from .model import ROPE_KINDS, ModelConfig, RopeSpec, StatelessDynamicNTKRotaryEmbedding, ToyTransformer, make_rotary

__all__ = [
    "TaskSpec", "make_batch", "ROPE_KINDS", "ModelConfig", "RopeSpec",
    "StatelessDynamicNTKRotaryEmbedding", "ToyTransformer", "make_rotary",
]
