"""The default ``minilm`` engine: the numpy MiniLM forward pass, its index and its scores.

The loader and forward-pass tests run on a tiny random BERT written to a temporary folder (no
download, milliseconds); the engine tests use the packaged all-MiniLM-L6-v2 weights and skip with a
message when they are not installed.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from casedesk.support.triage import EscalationReason, TriageAnswer, TriageEscalation, build_index, triage
from casedesk.support.triage.engine import DEFAULT_THRESHOLDS, MINILM_LOG_PROB_WEIGHT
from casedesk.support.triage.minilm import MiniLM, ModelUnavailable, packaged_model_path, read_safetensors
from tests.test_triage_engine import HELP_CENTRE

WIDTH, HEADS, LAYERS, INNER = 16, 4, 2, 32
VOCAB = [
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "how",
    "do",
    "i",
    "reset",
    "my",
    "password",
    "invoice",
    "##s",
    "?",
]


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def tiny_bert(folder: Path) -> Path:
    """A random 2-layer BERT in the sentence-transformers folder layout, with a WordPiece tokenizer."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    rng = np.random.default_rng(0)
    tensors = {
        "embeddings.word_embeddings.weight": rng.normal(size=(len(VOCAB), WIDTH)),
        "embeddings.position_embeddings.weight": rng.normal(size=(32, WIDTH)),
        "embeddings.token_type_embeddings.weight": rng.normal(size=(2, WIDTH)),
        "embeddings.LayerNorm.weight": np.ones(WIDTH),
        "embeddings.LayerNorm.bias": np.zeros(WIDTH),
    }
    for layer in range(LAYERS):
        base = f"encoder.layer.{layer}."
        for name, shape in {
            "attention.self.query": (WIDTH, WIDTH),
            "attention.self.key": (WIDTH, WIDTH),
            "attention.self.value": (WIDTH, WIDTH),
            "attention.output.dense": (WIDTH, WIDTH),
            "intermediate.dense": (INNER, WIDTH),
            "output.dense": (WIDTH, INNER),
        }.items():
            tensors[f"{base}{name}.weight"] = rng.normal(scale=0.3, size=shape)
            tensors[f"{base}{name}.bias"] = rng.normal(scale=0.1, size=shape[0])
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            tensors[f"{base}{norm}.weight"] = np.ones(WIDTH)
            tensors[f"{base}{norm}.bias"] = np.zeros(WIDTH)
    folder.mkdir(parents=True, exist_ok=True)
    write_safetensors(folder / "model.safetensors", tensors)
    config = {"num_attention_heads": HEADS, "num_hidden_layers": LAYERS, "layer_norm_eps": 1e-12}
    (folder / "config.json").write_text(json.dumps(config))
    tokenizer = Tokenizer(models.WordPiece({token: n for n, token in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder


def test_safetensors_are_read_without_the_safetensors_package(tmp_path: Path) -> None:
    tensors = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.asarray([1.5], dtype=np.float32)}
    write_safetensors(tmp_path / "t.safetensors", tensors)
    read = read_safetensors(tmp_path / "t.safetensors")
    assert set(read) == {"a", "b"}
    np.testing.assert_array_equal(read["a"], tensors["a"])
    np.testing.assert_array_equal(read["b"], tensors["b"])


def test_a_text_gets_the_same_embedding_alone_and_padded_in_a_batch(tmp_path: Path) -> None:
    model = MiniLM(tiny_bert(tmp_path / "bert"))
    short, longer = "reset password", "how do i reset my password? invoices?"
    alone = model.embed([short])
    batched = model.embed([longer, short], batch_size=8)  # the short text is padded to the long one
    np.testing.assert_allclose(batched[1], alone[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(batched[0], batched[1])
    np.testing.assert_allclose(np.linalg.norm(batched, axis=1), 1.0, rtol=1e-5)


def test_several_layers_come_side_by_side_each_unit_length(tmp_path: Path) -> None:
    model = MiniLM(tiny_bert(tmp_path / "bert"))
    rows = model.embed(["how do i reset my password", "invoices"], layers=[1, 2])
    assert rows.shape == (2, 2 * WIDTH)
    np.testing.assert_allclose(np.linalg.norm(rows[:, :WIDTH], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(rows[:, WIDTH:], axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        rows[:, WIDTH:], model.embed(["how do i reset my password", "invoices"]), rtol=1e-5
    )


def test_a_folder_without_weights_is_refused_with_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"has no model\.safetensors"):
        MiniLM(tmp_path)


def _packaged() -> Path:
    try:
        path = packaged_model_path()
    except ModelUnavailable as error:
        pytest.skip(str(error))
    if not (path / "model.safetensors").is_file():
        pytest.skip(f"no model weights in {path}")
    return path


@pytest.fixture(scope="module")
def index():  # type: ignore[no-untyped-def]
    _packaged()
    return build_index(HELP_CENTRE, engine="minilm")


def test_the_packaged_model_puts_paraphrases_close_and_other_topics_far() -> None:
    model = MiniLM(_packaged())
    rows = model.embed(
        ["how do I reset my password", "I forgot my login password", "what is the weather in paris"]
    )
    similarity = rows @ rows.T
    assert similarity[0, 1] > 0.6 > 0.2 > similarity[0, 2]


@pytest.mark.parametrize(
    ("question", "entry_key"),
    [
        ("I can't remember my password, what now?", "reset-password"),
        ("where do I find last month's invoice", "invoices"),
        ("is there a size limit for attachments", "upload-limits"),
        ("how can a coworker join our account", "team-members"),
    ],
)
def test_minilm_answers_paraphrases_from_the_right_entry(index, question: str, entry_key: str) -> None:  # type: ignore[no-untyped-def]
    outcome = triage(question, index)
    assert isinstance(outcome, TriageAnswer), outcome
    assert outcome.entry_key == entry_key
    assert outcome.score >= index.threshold == DEFAULT_THRESHOLDS["minilm"]


@pytest.mark.parametrize(
    "question", ["what is the capital of peru", "tell me a joke", "do you sell gift cards?"]
)
def test_minilm_escalates_what_the_help_centre_does_not_cover(index, question: str) -> None:  # type: ignore[no-untyped-def]
    outcome = triage(question, index)
    assert isinstance(outcome, TriageEscalation), outcome
    assert outcome.reason is EscalationReason.LOW_CONFIDENCE


def test_minilm_snippet_is_the_passage_nearest_the_question(index) -> None:  # type: ignore[no-untyped-def]
    outcome = triage("my reset link has expired, can I get another one?", index)
    assert isinstance(outcome, TriageAnswer)
    assert outcome.passage.startswith("Reset links expire")


def test_minilm_score_is_the_centroid_cosine_plus_the_weighted_log_probability(index) -> None:  # type: ignore[no-untyped-def]
    question = "how do I reset my password"
    positions, scores, features = index.score([question])
    logits = features @ index.weights + index.intercept
    log_prob = logits - np.log(np.exp(logits - logits.max()).sum()) - logits.max()
    best = int(logits.argmax())
    cosines = features @ index.centroids
    expected = cosines[0, index.centroid_mask].max() + MINILM_LOG_PROB_WEIGHT * log_prob[0, best]
    assert index.entries[int(positions[0])].key == "reset-password"
    assert scores[0] == pytest.approx(expected, rel=1e-5)


def test_a_one_article_help_centre_answers_its_question_and_escalates_the_rest() -> None:
    _packaged()
    single = build_index(HELP_CENTRE[:1], engine="minilm")  # one entry + background: two classes
    outcome = triage("I forgot my password", single)
    assert isinstance(outcome, TriageAnswer) and outcome.entry_key == "reset-password"
    assert isinstance(triage("what's the weather like in rome", single), TriageEscalation)


def test_in_a_small_help_centre_the_background_lines_do_not_outweigh_an_article() -> None:
    """The platform's own six articles: 60 background lines against each article's handful of texts.
    Balanced classes keep a question the attachments article plainly covers from escalating."""
    from casedesk.support.help import HELP_DIR, parse_help_file
    from casedesk.support.triage import HelpEntry
    from casedesk.support.triage.service import split_passages

    files = [parse_help_file(path) for path in sorted(Path(HELP_DIR).glob("*.md"))]
    entries = [
        HelpEntry(key=f.slug, title=f.title, passages=split_passages(f.body), examples=f.questions)
        for f in files
    ]
    help_centre = build_index(entries, engine="minilm")
    for question in ("how big can an attachment be?", "what's the max attachment size"):
        outcome = triage(question, help_centre)
        assert isinstance(outcome, TriageAnswer), (question, outcome)
        assert outcome.entry_key == "attachments"
    assert isinstance(triage("what's the weather like in paris", help_centre), TriageEscalation)


def test_a_large_help_centre_learns_the_background_class_too() -> None:
    """The minilm engine learns the generic background lines at every size (docs/triage.md,
    "A background class in every help centre"); the one-vs-rest engines only below 30 entries."""
    from casedesk.support.triage import HelpEntry
    from casedesk.support.triage.engine import MIN_ENTRIES_WITHOUT_BACKGROUND

    _packaged()
    entries = [
        HelpEntry(key=f"plan-{number}", title=f"Plan {number}", examples=[f"what does plan {number} include"])
        for number in range(MIN_ENTRIES_WITHOUT_BACKGROUND)
    ]
    minilm = build_index(entries, engine="minilm", threshold=0.0)
    assert -1 in minilm.class_entry and minilm.centroid_mask is not None
    assert not minilm.centroid_mask[list(minilm.class_entry).index(-1)]  # never a nearest centroid
    lexical = build_index(entries, engine="lexical")
    assert -1 not in lexical.class_entry


def test_out_of_scope_examples_are_learned_as_never_answered() -> None:
    """``out_of_scope``: a help centre's own examples of what it must not answer join the background
    class, so a question like them escalates even with a threshold that answers everything else."""
    _packaged()
    off_topic = ["how do I close my account", "delete my account for good", "cancel and remove my account"]
    question = "I want to close my account permanently"
    plain = build_index(HELP_CENTRE, engine="minilm", threshold=-1e9)
    taught = build_index(HELP_CENTRE, engine="minilm", threshold=-1e9, out_of_scope=off_topic)
    assert isinstance(triage(question, plain), TriageAnswer)  # nothing stops it without the examples
    outcome = triage(question, taught)
    assert isinstance(outcome, TriageEscalation) and outcome.reason == EscalationReason.LOW_CONFIDENCE
    # The help centre still answers what it covers.
    answer = triage("I forgot my password", taught)
    assert isinstance(answer, TriageAnswer) and answer.entry_key == "reset-password"
    assert len(taught.class_entry) == len(plain.class_entry)  # one background class, not a new one
