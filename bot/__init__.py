"""hamcoach: a coaching bot for the ham raise (Nordic hamstring curl)."""

import os

# numpy's arithmetic here is small (one matrix-vector product per question), while ONNX Runtime runs the
# sentence model on both cores. Multithreaded OpenBLAS threads spin after each call and fought it: the
# slowest answers right after an index build took 7 ms instead of 4 (benchmarks/qa.py). Set before numpy
# is first imported; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
