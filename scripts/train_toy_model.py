#!/usr/bin/env python
"""Train lesson 10's toy RoPE model (thin wrapper around `rope_course.toy.train`).

    .venv/bin/python scripts/train_toy_model.py                         # the committed run
    .venv/bin/python scripts/train_toy_model.py --quick --out-dir /tmp/toy   # a few steps

Same as `python -m rope_course.toy train [...]`.
"""

import sys

from rope_course.toy.train import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
