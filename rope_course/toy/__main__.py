"""`python -m rope_course.toy train [...]`: train (and evaluate) the lesson-10 toy model."""

import sys

from .train import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not argv or argv[0] != "train":
        print("usage: python -m rope_course.toy train [--quick --out-dir DIR] [--seed N] [--steps N]", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(argv[1:]))
