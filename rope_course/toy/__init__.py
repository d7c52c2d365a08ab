"""Lesson 10's toy: tiny RoPE transformers trained here at context L on two tasks (recall and a
Markov text with copied spans), evaluated past L under each scaling method.

`python -m rope_course.toy --help` lists the commands (train, evaluate, all). Modules: `data`
(the tasks), `model` (the transformer, KV-cache decoding), `methods` (the one list of scaling
methods), `train`, `evaluate` (the offline grid), `stats` (cluster bootstrap), `results`
(loading the committed grid)."""
