import sys
from pathlib import Path

# The reference modules (reference_numpy, upstream_ops) live beside the tests.
sys.path.insert(0, str(Path(__file__).resolve().parent))
