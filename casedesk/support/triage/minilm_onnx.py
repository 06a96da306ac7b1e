"""The MiniLM forward pass as an ONNX graph run by ONNX Runtime: the same maths as
``MiniLM._forward_numpy``, about 2.5 times as fast per question.

Why: one question at a time, numpy's matrix products (OpenBLAS) re-pack each layer's weights on
every call, and the pass is bound by that memory traffic (docs/triage.md, "Latency and build:
the forward pass on ONNX Runtime"). ONNX
Runtime packs constant weights once, when the session is made, and its kernels suit a dozen rows.

The graph is built in memory from the same float32 weights (``onnx.helper``), with the same
operations in the same order: embeddings (word + position + token type), layer norm; per layer
self-attention (q, k, v in one product, softmax over the real tokens), output dense, residual,
layer norm, the exact-erf GELU feed-forward, residual, layer norm; mean pooling over the real
tokens after each chosen layer. Float32 throughout; the rows agree with numpy's to about 1e-6
(``tests/test_triage_minilm_onnx.py``). Nothing is written to disk, nothing is downloaded.

``onnx`` and ``onnxruntime`` are base dependencies; when either is missing (or
``CASEDESK_TRIAGE_ONNX=0``), ``MiniLM`` runs the numpy pass instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from casedesk.support.triage.switches import switched_on

if TYPE_CHECKING:
    from casedesk.support.triage.minilm import MiniLM

OPSET = 17  # LayerNormalization


def onnx_enabled() -> bool:
    """``TRIAGE_ONNX`` (env ``CASEDESK_TRIAGE_ONNX``), on unless 0/false/no/off, and installed."""
    if not switched_on("TRIAGE_ONNX", "CASEDESK_TRIAGE_ONNX"):
        return False
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


class OnnxForward:
    """``MiniLM._forward_numpy`` for a fixed tuple of layers, on one ONNX Runtime session (thread-safe)."""

    def __init__(self, model: MiniLM, layers: Sequence[int]) -> None:
        import onnxruntime

        self.layers = tuple(layers)
        options = onnxruntime.SessionOptions()
        # One thread, as the numpy pass is measured (a question is one core's work).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Basic optimisations only (constant folding, redundant nodes). The extended ones fuse
        # attention and GELU into kernels with their own approximations; the rows must stay the
        # numpy pass's to within float rounding, since every threshold was chosen on them.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
        self.session = onnxruntime.InferenceSession(
            _graph(model, self.layers).SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def __call__(self, embedded: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        """``embedded``: word + position + token-type embeddings (batch × length × width)."""
        outputs = self.session.run(None, {"embedded": embedded, "mask": mask})
        return [np.asarray(output) for output in outputs]


def _graph(model: MiniLM, layers: tuple[int, ...]) -> Any:
    from onnx import TensorProto, helper, numpy_helper

    width = model.width
    heads = model.heads
    head_width = width // heads
    nodes: list[Any] = []
    weights: list[Any] = []
    counter = [0]

    def constant(array: Any) -> str:
        counter[0] += 1
        label = f"c{counter[0]}"
        weights.append(numpy_helper.from_array(np.asarray(array), label))
        return label

    def op(kind: str, inputs: list[str], **attributes: Any) -> str:
        counter[0] += 1
        out = f"t{counter[0]}"
        nodes.append(helper.make_node(kind, inputs, [out], **attributes))
        return out

    def layer_norm(x: str, gain: np.ndarray, bias: np.ndarray) -> str:
        return op(
            "LayerNormalization",
            [x, constant(gain.astype(np.float32)), constant(bias.astype(np.float32))],
            axis=-1,
            epsilon=model.eps,
        )

    # The embeddings' sum (word + position + token type) comes in from numpy: a lookup, and it
    # keeps the 47 MB word table out of the graph. Then the embeddings' layer norm.
    x = layer_norm("embedded", *model.embedding_norm)

    # (1 - mask) · -1e9 on the keys, and the real-token count per text for the mean pooling.
    additive = op(
        "Unsqueeze",
        [op("Mul", [op("Sub", [constant(np.float32(1.0)), "mask"]), constant(np.float32(-1e9))]),
         constant(np.array([1, 2]))],
    )  # fmt: skip
    weight = op("Unsqueeze", ["mask", constant(np.array([2]))])  # batch × length × 1
    tokens = op("ReduceSum", ["mask", constant(np.array([1]))], keepdims=1)
    counts = op("Max", [tokens, constant(np.float32(1.0))])
    scale = constant(np.float32(1.0 / np.sqrt(head_width)))
    split_shape = constant(np.array([0, 0, 3, heads, head_width]))
    merge_shape = constant(np.array([0, 0, width]))
    outputs: list[str] = []

    def pool(hidden: str) -> str:
        summed = op("ReduceSum", [op("Mul", [hidden, weight]), constant(np.array([1]))], keepdims=0)
        return op("Div", [summed, counts])

    if 0 in layers:
        outputs.append(pool(x))
    for number, layer in enumerate(model.layers, start=1):
        qkv = op("Add", [op("MatMul", [x, constant(layer["qkv_w"])]), constant(layer["qkv_b"])])
        qkv = op("Transpose", [op("Reshape", [qkv, split_shape])], perm=[2, 0, 3, 1, 4])
        query, key, value = (op("Gather", [qkv, constant(np.array(part))], axis=0) for part in range(3))
        scores = op("MatMul", [query, op("Transpose", [key], perm=[0, 1, 3, 2])])
        scores = op("Add", [op("Mul", [scores, scale]), additive])
        probabilities = op("Softmax", [scores], axis=-1)
        context = op("Transpose", [op("MatMul", [probabilities, value])], perm=[0, 2, 1, 3])
        context = op("Reshape", [context, merge_shape])
        attended = op("Add", [op("MatMul", [context, constant(layer["out_w"])]), constant(layer["out_b"])])
        x = layer_norm(op("Add", [attended, x]), layer["ln1_g"], layer["ln1_b"])
        hidden = op("Add", [op("MatMul", [x, constant(layer["up_w"])]), constant(layer["up_b"])])
        erf = op("Erf", [op("Mul", [hidden, constant(np.float32(1.0 / np.sqrt(2.0)))])])
        half = op("Mul", [hidden, constant(np.float32(0.5))])
        hidden = op("Mul", [half, op("Add", [erf, constant(np.float32(1.0))])])
        down = op("Add", [op("MatMul", [hidden, constant(layer["down_w"])]), constant(layer["down_b"])])
        x = layer_norm(op("Add", [down, x]), layer["ln2_g"], layer["ln2_b"])
        if number in layers:
            outputs.append(pool(x))

    graph = helper.make_graph(
        nodes,
        "minilm",
        [
            helper.make_tensor_value_info("embedded", TensorProto.FLOAT, ["batch", "length", width]),
            helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "length"]),
        ],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", width]) for name in outputs],
        initializer=weights,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=9)
