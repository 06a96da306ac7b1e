"""Triage: answer a support question from the help centre, or hand it to a person.

See docs/triage.md. ``triage()`` is pure; ``answer_question()`` adds the per-tenant index cache.
"""

from __future__ import annotations

from casedesk.support.triage.engine import (
    EscalationReason,
    HelpEntry,
    TriageAnswer,
    TriageEscalation,
    TriageIndex,
    build_index,
    triage,
)
from casedesk.support.triage.service import answer_question

__all__ = [
    "EscalationReason",
    "HelpEntry",
    "TriageAnswer",
    "TriageEscalation",
    "TriageIndex",
    "answer_question",
    "build_index",
    "triage",
]
