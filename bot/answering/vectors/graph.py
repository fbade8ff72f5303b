"""The MiniLM encoder layers as an ONNX graph with int8 weights, built from the packaged safetensors.

Why build a graph: the model package ships PyTorch weights only, and torch is several hundred MB and slow
to import. ONNX Runtime runs the same six BERT layers; with weights quantised per output channel to int8
a question encodes in about 1-2 ms on two cores, where float32 in numpy took 7 ms (the layers are bound by
reading 42 MB of weights per question; int8 reads a quarter of that). Cosine similarity to the float model
stays above 0.99.

The embedding look-up and the mean pooling stay in numpy (encoder.py): they are cheap and keep the
graph to the part that needs the speed.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from bot.answering.vectors.encoder import HIDDEN

HEADS = 12
LAYERS = 6
OPSET = 17  # LayerNormalization is a standard op from 17 on
WEIGHT_LEVELS = 63  # int8 weights in -63..63: see _Builder.linear


class _Builder:
    """Collects nodes and weights; every node gets a fresh output name."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], outputs: int = 1, **attrs: Any) -> list[str]:
        names = [f"n{len(self.nodes)}_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, **attrs))
        return names

    def one(self, op_type: str, inputs: list[str], **attrs: Any) -> str:
        return self.op(op_type, inputs, **attrs)[0]

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        """x @ weight.T + bias, with weight in int8 per output channel and x quantised on the fly.

        The weights use 7 of the 8 bits (-63..63): on CPUs without AVX-512 VNNI, ONNX Runtime multiplies
        uint8 by int8 with VPMADDUBSW, which saturates a pair's sum at 16 bits (255 x 127 x 2 does not
        fit; 255 x 63 x 2 does). With full int8 weights the same text got vectors at cosine 0.987-0.995
        on two machines, and benchmarks/calibrate.py fitted other weights and another threshold on each.
        With 7 bits every CPU computes the same integers. Parity with the float model: 0.967-0.997
        against 0.974-0.995 (tests/answering/vectors/test_encoder.py)."""
        w = weight.T.astype(np.float32)
        scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / WEIGHT_LEVELS
        quantised = np.clip(np.round(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS).astype(np.int8)
        wq = self.const(f"{name}.wq", quantised)
        ws = self.const(f"{name}.ws", scale.astype(np.float32))
        b = self.const(f"{name}.b", bias.astype(np.float32))
        xq, xs, xz = self.op("DynamicQuantizeLinear", [x], outputs=3)
        product = self.one("Cast", [self.one("MatMulInteger", [xq, wq, xz])], to=TensorProto.FLOAT)
        return self.one("Add", [self.one("Mul", [product, self.one("Mul", [xs, ws])]), b])


def encoder_graph(weights: dict[str, np.ndarray]) -> onnx.ModelProto:
    """Input: `hidden` [batch, tokens, 384], the embeddings after their LayerNorm. Output: `out`, the last
    layer. There is no attention mask: texts are encoded one at a time, unpadded (see encoder.py)."""
    g = _Builder()
    head_dim = HIDDEN // HEADS
    heads_shape = g.const("heads_shape", np.array([0, 0, HEADS, head_dim], np.int64))
    hidden_shape = g.const("hidden_shape", np.array([0, 0, HIDDEN], np.int64))
    scale = g.const("attention_scale", np.array(1 / math.sqrt(head_dim), np.float32))
    half = g.const("half", np.array(0.5, np.float32))
    one = g.const("one", np.array(1.0, np.float32))
    inv_sqrt2 = g.const("inv_sqrt2", np.array(1 / math.sqrt(2), np.float32))

    x = "hidden"
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."

        def dense(inp: str, part: str, p: str = p) -> str:
            return g.linear(inp, weights[p + part + ".weight"], weights[p + part + ".bias"], p + part)

        def norm(inp: str, part: str, p: str = p) -> str:
            w = g.const(p + part + ".w", weights[p + part + ".weight"])
            b = g.const(p + part + ".b", weights[p + part + ".bias"])
            return g.one("LayerNormalization", [inp, w, b], axis=-1, epsilon=1e-12)

        def heads(inp: str, perm: list[int]) -> str:
            return g.one("Transpose", [g.one("Reshape", [inp, heads_shape])], perm=perm)

        q = heads(dense(x, "attention.self.query"), [0, 2, 1, 3])
        k = heads(dense(x, "attention.self.key"), [0, 2, 3, 1])
        v = heads(dense(x, "attention.self.value"), [0, 2, 1, 3])
        scores = g.one("Mul", [g.one("MatMul", [q, k]), scale])
        context = g.one("MatMul", [g.one("Softmax", [scores], axis=-1), v])
        merged = g.one("Reshape", [g.one("Transpose", [context], perm=[0, 2, 1, 3]), hidden_shape])
        x = norm(g.one("Add", [dense(merged, "attention.output.dense"), x]), "attention.output.LayerNorm")
        inner = dense(x, "intermediate.dense")
        erf = g.one("Erf", [g.one("Mul", [inner, inv_sqrt2])])
        gelu = g.one("Mul", [g.one("Mul", [inner, half]), g.one("Add", [erf, one])])
        x = norm(g.one("Add", [dense(gelu, "output.dense"), x]), "output.LayerNorm")

    g.nodes.append(helper.make_node("Identity", [x], ["out"]))
    graph = helper.make_graph(
        g.nodes,
        "minilm-encoder",
        [
            helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", HIDDEN]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", "tokens", HIDDEN])],
        g.weights,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    return model
