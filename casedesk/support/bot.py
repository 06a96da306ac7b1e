"""The bot's side of a conversation: ask the triage engine, never guess.

The engine (``casedesk.support.triage.answer_question``, issue 7) is a pure function of the
question and the tenant's help centre. It returns an answer with a passage and a link, or an
escalation with a reason. If the engine cannot be imported or fails, the bot escalates: a
person answering is always a safe outcome, a guessed answer is not.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

REASON_LOW_CONFIDENCE = "low_confidence"
REASON_HUMAN_REQUESTED = "human_requested"
REASON_EMPTY_HELP_CENTRE = "empty_help_centre"
REASON_NOT_HELPFUL = "not_helpful"
REASON_ENGINE_UNAVAILABLE = "engine_unavailable"
REASON_TEAM_REQUEST = "team_request"


@dataclass(frozen=True)
class BotAnswer:
    title: str
    passage: str
    url: str
    score: float
    entry_key: str


@dataclass(frozen=True)
class BotEscalation:
    reason: str
    detail: str = ""


def _reason_name(reason: object) -> str:
    value = getattr(reason, "value", reason)
    text = str(value).lower()
    for known in (REASON_LOW_CONFIDENCE, REASON_HUMAN_REQUESTED, REASON_EMPTY_HELP_CENTRE):
        if known in text or known.replace("_", "") in text.replace("_", ""):
            return known
    return text[:40] or REASON_LOW_CONFIDENCE


def triage(question: str, agency_id: int | None) -> BotAnswer | BotEscalation:
    """Ask the engine; ``agency_id`` None means the platform's own help centre."""
    try:
        answer_question = importlib.import_module("casedesk.support.triage").answer_question
    except (ImportError, AttributeError):
        logger.warning("The triage engine is not installed; escalating.")
        return BotEscalation(REASON_ENGINE_UNAVAILABLE, "The triage engine is not available.")
    try:
        result = answer_question(question, agency_id)
    except Exception:
        logger.exception("The triage engine failed; escalating.")
        return BotEscalation(REASON_ENGINE_UNAVAILABLE, "The triage engine failed on this question.")
    if hasattr(result, "passage"):
        return BotAnswer(
            title=str(getattr(result, "title", "")),
            passage=str(result.passage),
            url=str(getattr(result, "url", "") or ""),
            score=float(getattr(result, "score", 0.0) or 0.0),
            entry_key=str(getattr(result, "entry_key", "")),
        )
    return BotEscalation(
        _reason_name(getattr(result, "reason", "")), str(getattr(result, "detail", ""))[:300]
    )
