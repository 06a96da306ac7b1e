"""Each help centre's own threshold, chosen on its own entries (calibration.py, issue 18)."""

from __future__ import annotations

import numpy as np
import pytest

from casedesk.support.triage import HelpEntry, build_index
from casedesk.support.triage.calibration import MIN_ENTRIES, calibrate, lowest_threshold_escalating
from casedesk.support.triage.engine import DEFAULT_THRESHOLDS

TOPICS = {
    "reset-password": (
        "Resetting your password",
        ["I forgot my password", "how do I reset my password", "can't log in, password lost"],
    ),
    "change-email": (
        "Changing your email address",
        ["how do I change my email", "update the address I sign in with", "my email changed"],
    ),
    "invoices": (
        "Finding your invoices",
        ["where are my invoices", "download last month's invoice", "I need a receipt"],
    ),
    "card": (
        "Updating your card",
        ["my card expired", "change the card you charge", "update payment details"],
    ),
    "invite": (
        "Inviting a teammate",
        ["how do I invite a colleague", "add someone to my team", "give a coworker access"],
    ),
    "remove-member": (
        "Removing a teammate",
        ["remove a user from my team", "someone left, take away their access", "delete a team member"],
    ),
    "upload": (
        "Attaching files",
        ["how big can an attachment be", "attach a pdf to a message", "my upload was rejected"],
    ),
    "notifications": (
        "Email notifications",
        ["stop the emails", "turn off notifications", "too many emails from you"],
    ),
    "export": (
        "Exporting your data",
        ["export all my cases", "download everything as csv", "get a copy of my data"],
    ),
    "two-factor": (
        "Two-factor sign-in",
        ["turn on two factor", "set up an authenticator app", "lost my 2fa phone"],
    ),
    "language": (
        "Changing the language",
        ["show the app in french", "change the language", "switch to german"],
    ),
    "plan": ("Changing your plan", ["upgrade my plan", "move to the cheaper plan", "what plans are there"]),
}


def help_centre(count: int) -> list[HelpEntry]:
    return [
        HelpEntry(
            key=key,
            title=title,
            passages=[f"{title}: open Settings and follow the steps."],
            examples=examples,
        )
        for key, (title, examples) in list(TOPICS.items())[:count]
    ]


def test_the_threshold_escalates_the_target_share_of_held_out_entries_questions() -> None:
    rows = np.arange(48, dtype=float)[:, None]
    labels = np.repeat(np.arange(12), 4)
    labels[-4:] = -1  # background lines: in every fold, never held out
    questions = labels >= 0
    seen: list[tuple[set[int], set[int]]] = []

    def fit(fold_rows: np.ndarray, fold_labels: np.ndarray):  # type: ignore[no-untyped-def]
        seen.append((set(fold_labels.tolist()), set()))

        def score(held: np.ndarray) -> np.ndarray:
            seen[-1][1].update(held[:, 0].astype(int).tolist())
            return held[:, 0] / 100  # the n-th row scores n / 100

        return score

    calibration = calibrate(rows, labels, questions, fit, folds=3, target=0.8)
    assert calibration is not None
    assert (calibration.folds, calibration.entries, calibration.questions) == (3, 11, 44)
    for trained_on, scored in seen:
        assert -1 in trained_on  # the background class stays in every fold
        held_entries = {int(labels[row]) for row in scored}
        assert not held_entries & trained_on  # a fold never learns the entries it scores
    assert sorted(row for _, scored in seen for row in scored) == list(range(44))
    # 80 % of the 44 scores 0.00 … 0.43 is 35.2, so 36 of them: halfway between the 36th and 37th.
    assert calibration.threshold == pytest.approx(0.355)
    assert lowest_threshold_escalating(np.arange(44) / 100, 0.8) == calibration.threshold


def test_too_small_a_help_centre_keeps_the_shipped_default() -> None:
    index = build_index(help_centre(MIN_ENTRIES - 1), engine="minilm")
    assert index.calibration is None
    assert index.threshold in {DEFAULT_THRESHOLDS["minilm"], DEFAULT_THRESHOLDS["minilm-only"]}


def test_a_help_centre_large_enough_gets_its_own_threshold() -> None:
    index = build_index(help_centre(12), engine="minilm")
    assert index.calibration is not None
    assert index.threshold == index.calibration.threshold
    assert index.calibration.entries == 12
    assert index.calibration.questions == 36  # the example questions, not titles or passages
    # Built twice, the same threshold: the folds are seeded.
    assert build_index(help_centre(12), engine="minilm").threshold == index.threshold


def test_a_threshold_given_to_build_index_is_kept() -> None:
    index = build_index(help_centre(12), engine="minilm", threshold=0.5)
    assert index.calibration is None
    assert index.threshold == 0.5


def test_an_entry_without_example_questions_is_held_out_by_its_title() -> None:
    entries = help_centre(12)
    entries[0] = HelpEntry(key="reset-password", title="Resetting your password", passages=["Open Settings."])
    index = build_index(entries, engine="minilm")
    assert index.calibration is not None
    assert index.calibration.questions == 34  # 11 × 3 examples + 1 title


def test_the_setting_turns_it_off() -> None:
    from django.test import override_settings

    with override_settings(TRIAGE_CALIBRATE=False):
        index = build_index(help_centre(12), engine="minilm")
    assert index.calibration is None
    assert index.threshold in {DEFAULT_THRESHOLDS["minilm"], DEFAULT_THRESHOLDS["minilm-only"]}


def test_when_the_background_class_takes_the_held_out_questions_the_default_stays() -> None:
    rows = np.zeros((48, 1))
    labels = np.repeat(np.arange(12), 4)

    def fit(fold_rows: np.ndarray, fold_labels: np.ndarray):  # type: ignore[no-untyped-def]
        return lambda held: np.full(len(held), -np.inf)  # every question lands on the background

    assert calibrate(rows, labels, labels >= 0, fit) is None
