"""The MiniLM forward pass on ONNX Runtime (minilm_onnx.py) against the numpy reference.

Every threshold of the default engine was chosen on rows from the numpy pass, so the graph must
give the same rows, to float rounding, for single questions and padded batches, for each layer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from casedesk.support.triage.minilm import MiniLM
from tests.test_triage_minilm import _packaged, tiny_bert

pytest.importorskip("onnxruntime", reason="onnxruntime is a base dependency: run `make install`")

TEXTS = ["reset password", "how do i reset my password? invoices?", "invoices", "?"]


def _ids_and_mask(model: MiniLM, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encodings = model.tokenizer.encode_batch(texts)
    length = max(len(encoding.ids) for encoding in encodings)
    ids = np.zeros((len(texts), length), dtype=np.int64)
    mask = np.zeros((len(texts), length), dtype=np.float32)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1.0
    return ids, mask


def test_the_graph_gives_the_numpy_pass_rows_for_every_layer_and_padding(tmp_path: Path) -> None:
    model = MiniLM(tiny_bert(tmp_path / "bert"))
    ids, mask = _ids_and_mask(model, TEXTS)  # padded to the longest: the mask must hide the rest
    layers = [0, 1, 2]
    reference = model._forward_numpy(ids, mask, layers)
    graph = model._forward_onnx(ids, mask, layers)
    assert len(graph) == len(reference) == 3
    for ours, theirs in zip(graph, reference, strict=True):
        assert ours.shape == theirs.shape == (len(TEXTS), model.width)
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)
    # One text alone gives the row it got in the padded batch.
    alone = model._forward_onnx(ids[1:2, : int(mask[1].sum())], mask[1:2, : int(mask[1].sum())], layers)
    np.testing.assert_allclose(alone[2][0], graph[2][1], rtol=1e-5, atol=1e-5)


def test_the_default_engine_runs_the_graph_and_gives_the_numpy_rows() -> None:
    model = MiniLM(_packaged())
    assert model.use_onnx  # installed by default, so the product runs the faster pass
    questions = ["how do I reset my password", "what is the weather like in paris today?", "hi"]
    ids, mask = _ids_and_mask(model, questions)
    for ours, theirs in zip(
        model._forward_onnx(ids, mask, (4, 5, 6)), model._forward_numpy(ids, mask, (4, 5, 6)), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)


def test_the_switch_turns_the_graph_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEDESK_TRIAGE_ONNX", "0")
    model = MiniLM(tiny_bert(tmp_path / "bert"))
    assert not model.use_onnx
    rows = model.embed(TEXTS)
    assert rows.shape == (len(TEXTS), model.width) and not model._onnx  # no session was made
    monkeypatch.setenv("CASEDESK_TRIAGE_ONNX", "1")
    np.testing.assert_allclose(MiniLM(tiny_bert(tmp_path / "again")).embed(TEXTS), rows, rtol=1e-5, atol=1e-5)


def test_a_runtime_that_cannot_load_the_model_falls_back_to_numpy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from casedesk.support.triage import minilm

    model = MiniLM(tiny_bert(tmp_path / "bert"))
    assert model.use_onnx
    expected = model._forward_numpy(*_ids_and_mask(model, TEXTS), [2])

    def broken(*_: object) -> None:
        raise RuntimeError("[ONNXRuntimeError] : 1 : FAIL : a broken install")

    monkeypatch.setattr(minilm, "OnnxForward", broken)
    rows = model._forward(*_ids_and_mask(model, TEXTS), [2])  # answers, from numpy
    np.testing.assert_allclose(rows[0], expected[0], rtol=1e-6)
    assert not model.use_onnx and "using numpy instead" in caplog.text
