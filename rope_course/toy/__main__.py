"""`python -m rope_course.toy ...`: the one entry point for lesson 10's offline work.

    python -m rope_course.toy all --jobs 2          # train the 6 models, evaluate, merge (the committed run)
    python -m rope_course.toy train --task recall --seed 0
    python -m rope_course.toy evaluate --task recall --seed 0
    python -m rope_course.toy merge
    python -m rope_course.toy all --quick --out-dir /tmp/toy   # a few steps and a tiny grid (tests)

See `rope_course/toy/cli.py` for every option.
"""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
